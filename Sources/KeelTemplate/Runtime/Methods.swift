import Foundation
import KeelBase
import OrderedCollections

/// The Python methods playbooks call on strings, lists and dicts (`'a,b'.split(',')`, `d.items()`).
enum Methods {
    static let mutating: Set<String> = ["append", "extend", "insert", "pop", "update", "remove", "clear", "setdefault"]

    static func bind(_ base: RValue, _ name: String) -> RValue? {
        let body: (([RValue], KeywordArguments) throws -> RValue)?
        switch base {
        case .string(let s): body = stringMethod(s, name)
        case .list(let l), .tuple(let l): body = listMethod(l, name)
        case .dict(let d): body = dictMethod(d, name)
        default: body = nil
        }
        return body.map { .callable(Callable(name, $0)) }
    }

    static func arg(_ args: [RValue], _ i: Int, _ kwargs: KeywordArguments = [:], _ key: String = "") -> RValue? {
        if i < args.count { return args[i] }
        if let v = kwargs[key] { return v }
        return nil
    }

    static func str(_ v: RValue?) throws -> String? {
        guard let v else { return nil }
        if case .none = v { return nil }
        guard case .string(let s) = v else { throw KeelError("expected a string argument, got \(v.typeName)") }
        return s
    }

    static func stripSet(_ chars: String?) -> (Character) -> Bool {
        if let chars { return { chars.contains($0) } }
        return { $0.isWhitespace }
    }

    static func stringMethod(_ s: String, _ name: String) -> (([RValue], KeywordArguments) throws -> RValue)? {
        switch name {
        case "upper": return { _, _ in .string(s.uppercased()) }
        case "lower": return { _, _ in .string(s.lowercased()) }
        case "strip": return { a, _ in let f = stripSet(try str(arg(a, 0))); return .string(String(s.drop(while: f).reversed().drop(while: f).reversed())) }
        case "lstrip": return { a, _ in .string(String(s.drop(while: stripSet(try str(arg(a, 0)))))) }
        case "rstrip": return { a, _ in let f = stripSet(try str(arg(a, 0))); return .string(String(String(s.reversed().drop(while: f)).reversed())) }
        case "split", "rsplit":
            return { a, k in
                let sep = try str(arg(a, 0, k, "sep"))
                let max = try arg(a, 1, k, "maxsplit").map { try Conversions.toIntStrict($0) } ?? -1
                return .list(StringOps.split(s, sep, max, fromRight: name == "rsplit").map { .string($0) })
            }
        case "splitlines":
            return { a, _ in
                let keep = try a.first.map(Operators.truthy) ?? false
                return .list(StringOps.splitlines(s, keepEnds: keep).map { .string($0) })
            }
        case "startswith", "endswith":
            return { a, _ in
                guard let p = a.first else { throw KeelError("\(name)() takes at least 1 argument (0 given)") }
                let prefixes = p.sequence ?? [p]
                for candidate in prefixes {
                    guard case .string(let c) = candidate else { throw KeelError("\(name) first arg must be str or a tuple of str") }
                    if name == "startswith" ? s.hasPrefix(c) : s.hasSuffix(c) { return .bool(true) }
                }
                return .bool(false)
            }
        case "replace":
            return { a, _ in
                guard let old = try str(arg(a, 0)), let new = try str(arg(a, 1)) else { throw KeelError("replace() takes at least 2 arguments") }
                let count = try arg(a, 2).map { try Conversions.toIntStrict($0) } ?? -1
                return .string(StringOps.replace(s, old, new, count: count))
            }
        case "format": return { a, k in .string(try PythonFormat.format(s, a, k)) }
        case "join":
            return { a, _ in
                guard let items = a.first else { throw KeelError("join() takes exactly one argument (0 given)") }
                return .string(try Operators.iterate(items).map { item in
                    guard case .string(let t) = item else { throw KeelError("sequence item: expected str instance, \(item.typeName) found") }
                    return t
                }.joined(separator: s))
            }
        case "title": return { _, _ in .string(StringOps.title(s)) }
        case "partition", "rpartition":
            return { a, _ in
                guard let sep = try str(arg(a, 0)), !sep.isEmpty else { throw KeelError("empty separator") }
                guard let r = name == "partition" ? s.range(of: sep) : s.range(of: sep, options: .backwards) else {
                    return name == "partition" ? .tuple([.string(s), .string(""), .string("")]) : .tuple([.string(""), .string(""), .string(s)])
                }
                return .tuple([.string(String(s[..<r.lowerBound])), .string(sep), .string(String(s[r.upperBound...]))])
            }
        case "capitalize": return { _, _ in .string(StringOps.capitalize(s)) }
        case "find", "index", "rfind":
            return { a, _ in
                guard let sub = try str(arg(a, 0)) else { throw KeelError("\(name)() takes at least 1 argument") }
                let chars = Array(s), subc = Array(sub)
                var found = -1
                if subc.count <= chars.count {
                    let range = name == "rfind" ? Array(stride(from: chars.count - subc.count, through: 0, by: -1)) : Array(0...(chars.count - subc.count))
                    for i in range where Array(chars[i..<i + subc.count]) == subc { found = i; break }
                }
                if found < 0 && name == "index" { throw KeelError("substring not found") }
                return .int(found)
            }
        case "count":
            return { a, _ in
                guard let sub = try str(arg(a, 0)) else { throw KeelError("count() takes at least 1 argument") }
                if sub.isEmpty { return .int(s.count + 1) }
                return .int(s.components(separatedBy: sub).count - 1)
            }
        case "isdigit": return { _, _ in .bool(!s.isEmpty && s.allSatisfy { $0.isNumber }) }
        case "isalpha": return { _, _ in .bool(!s.isEmpty && s.allSatisfy { $0.isLetter }) }
        case "isalnum": return { _, _ in .bool(!s.isEmpty && s.allSatisfy { $0.isLetter || $0.isNumber }) }
        case "isspace": return { _, _ in .bool(!s.isEmpty && s.allSatisfy { $0.isWhitespace }) }
        case "islower": return { _, _ in .bool(s.contains { $0.isLetter } && s == s.lowercased()) }
        case "isupper": return { _, _ in .bool(s.contains { $0.isLetter } && s == s.uppercased()) }
        case "zfill":
            return { a, _ in
                let w = min(try Conversions.toIntStrict(a.first ?? .int(0)), 100_000)
                let pad = max(0, w - s.count)
                if let f = s.first, f == "-" || f == "+" { return .string(String(f) + String(repeating: "0", count: pad) + s.dropFirst()) }
                return .string(String(repeating: "0", count: pad) + s)
            }
        case "center", "ljust", "rjust":
            return { a, _ in
                let w = min(try Conversions.toIntStrict(a.first ?? .int(0)), 100_000)
                let fill = try str(arg(a, 1)) ?? " "
                let pad = max(0, w - s.count)
                switch name {
                case "ljust": return .string(s + String(repeating: fill, count: pad))
                case "rjust": return .string(String(repeating: fill, count: pad) + s)
                default:
                    let left = pad / 2 + (pad & w & 1)
                    return .string(String(repeating: fill, count: left) + s + String(repeating: fill, count: pad - left))
                }
            }
        default: return nil
        }
    }

    static func listMethod(_ l: [RValue], _ name: String) -> (([RValue], KeywordArguments) throws -> RValue)? {
        switch name {
        case "index":
            return { a, _ in
                guard let x = a.first, let i = l.firstIndex(of: x) else { throw KeelError("value is not in list") }
                return .int(i)
            }
        case "count": return { a, _ in .int(l.filter { $0 == (a.first ?? .none) }.count) }
        case "copy": return { _, _ in .list(l) }
        default: return nil
        }
    }

    static func dictMethod(_ d: OrderedDictionary<RValue, RValue>, _ name: String) -> (([RValue], KeywordArguments) throws -> RValue)? {
        switch name {
        case "items": return { _, _ in .list(d.map { .tuple([$0.key, $0.value]) }) }
        case "keys": return { _, _ in .list(Array(d.keys)) }
        case "values": return { _, _ in .list(Array(d.values)) }
        case "get": return { a, _ in d[a.first ?? .none] ?? (a.count > 1 ? a[1] : .none) }
        case "copy": return { _, _ in .dict(d) }
        default: return nil
        }
    }

    /// In-place methods: returns the container's new value and the call's result.
    static func mutate(_ container: RValue, _ method: String, _ args: [RValue]) throws -> (RValue, RValue) {
        switch (container, method) {
        case (.list(var l), "append"): l.append(args.first ?? .none); return (.list(l), .none)
        case (.list(var l), "extend"): l += try Operators.iterate(args.first ?? .list([])); return (.list(l), .none)
        case (.list(var l), "insert"):
            let i = try Conversions.toIntStrict(args.first ?? .int(0))
            l.insert(args.count > 1 ? args[1] : .none, at: min(max(i < 0 ? i + l.count : i, 0), l.count))
            return (.list(l), .none)
        case (.list(var l), "pop"):
            guard !l.isEmpty else { throw KeelError("pop from empty list") }
            let i = try args.first.map { try Conversions.toIntStrict($0) } ?? -1
            let j = i < 0 ? i + l.count : i
            guard j >= 0 && j < l.count else { throw KeelError("pop index out of range") }
            let v = l.remove(at: j); return (.list(l), v)
        case (.list(var l), "remove"):
            guard let i = l.firstIndex(of: args.first ?? .none) else { throw KeelError("list.remove(x): x not in list") }
            l.remove(at: i); return (.list(l), .none)
        case (.list, "clear"): return (.list([]), .none)
        case (.dict(var d), "update"):
            if case .dict(let other)? = args.first { for (k, v) in other { d[k] = v } }
            return (.dict(d), .none)
        case (.dict(var d), "pop"):
            let k = args.first ?? .none
            if let v = d.removeValue(forKey: k) { return (.dict(d), v) }
            if args.count > 1 { return (.dict(d), args[1]) }
            throw KeelError(try k.pythonRepr())
        case (.dict(var d), "setdefault"):
            let k = args.first ?? .none
            if let v = d[k] { return (.dict(d), v) }
            let v = args.count > 1 ? args[1] : .none
            d[k] = v; return (.dict(d), v)
        case (.dict, "clear"): return (.dict([:]), .none)
        default:
            if case .undefined(let u) = container { throw u.error }
            throw KeelError("'\(container.typeName)' object has no attribute '\(method)'")
        }
    }
}

/// String algorithms with Python's exact semantics.
enum StringOps {
    static func split(_ s: String, _ sep: String?, _ maxSplit: Int, fromRight: Bool) -> [String] {
        if let sep {
            var parts = s.components(separatedBy: sep)
            if maxSplit >= 0 && parts.count > maxSplit + 1 {
                if fromRight {
                    let head = parts[..<(parts.count - maxSplit)].joined(separator: sep)
                    parts = [head] + parts[(parts.count - maxSplit)...]
                } else {
                    let tail = parts[maxSplit...].joined(separator: sep)
                    parts = Array(parts[..<maxSplit]) + [tail]
                }
            }
            return parts
        }
        // Whitespace split: runs of whitespace, no empty strings.
        var words: [String] = []
        var chars = fromRight ? Array(s.reversed()) : Array(s)
        var splits = 0
        var i = 0
        while i < chars.count {
            while i < chars.count, chars[i].isWhitespace { i += 1 }
            if i >= chars.count { break }
            if maxSplit >= 0 && splits == maxSplit {
                var rest = Array(chars[i...])
                while let last = rest.last, last.isWhitespace { rest.removeLast() }
                words.append(String(fromRight ? rest.reversed() : rest))
                break
            }
            var j = i
            while j < chars.count, !chars[j].isWhitespace { j += 1 }
            words.append(String(fromRight ? chars[i..<j].reversed() : Array(chars[i..<j])))
            splits += 1
            i = j
        }
        chars = []
        return fromRight ? words.reversed() : words
    }

    static func splitlines(_ s: String, keepEnds: Bool) -> [String] {
        var lines: [String] = []
        var current = ""
        for c in s {
            if c == "\n" || c == "\r\n" || c == "\r" || c == "\u{0B}" || c == "\u{0C}" || c == "\u{1C}" || c == "\u{1D}" || c == "\u{1E}" || c == "\u{85}" || c == "\u{2028}" || c == "\u{2029}" {
                if keepEnds { current.append(c) }
                lines.append(current); current = ""
            } else { current.append(c) }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    static func replace(_ s: String, _ old: String, _ new: String, count: Int) -> String {
        if count < 0 { return old.isEmpty ? s.map { new + String($0) }.joined() + new : s.replacingOccurrences(of: old, with: new) }
        var result = s
        var done = 0
        var searchStart = result.startIndex
        while done < count, let r = result.range(of: old, range: searchStart..<result.endIndex) {
            result.replaceSubrange(r, with: new)
            searchStart = result.index(r.lowerBound, offsetBy: new.count)
            done += 1
        }
        return result
    }

    static func title(_ s: String) -> String {
        var out = ""
        var previousIsLetter = false
        for c in s {
            out += previousIsLetter ? c.lowercased() : c.uppercased()
            previousIsLetter = c.isLetter
        }
        return out
    }

    static func capitalize(_ s: String) -> String {
        guard let f = s.first else { return s }
        return f.uppercased() + s.dropFirst().lowercased()
    }
}
