import Foundation
import KeelBase
import OrderedCollections

/// Jinja2's built-in filters, with the behaviour of Jinja2 3.1 (Ansible overrides live next door).
enum BuiltinFilters {
    static var all: [String: FilterBody] {
        var f = jinja
        for (k, v) in AnsibleFilters.all { f[k] = v }
        for (k, v) in CollectionFilters.all { f[k] = v }
        f["comment"] = CommentFilter.filter
        return f
    }

    static let jinja: [String: FilterBody] = [
        "default": defaultFilter, "d": defaultFilter,
        "int": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let def = try args.int(0, "default", 0)
            let base = try args.int(1, "base", 10)
            if case .string = v { return .int(Conversions.intFilter(v, default: def, base: base)) }
            return .int(Conversions.intFilter(v, default: def))
        },
        "float": { v, a, k, _ in
            let def = FilterArguments(a, k)[0, "default"].flatMap(Conversions.toDouble) ?? 0
            return .double(Conversions.toDouble(v) ?? def)
        },
        "string": { v, _, _, _ in .string(try v.pythonStr()) },
        "lower": { v, _, _, _ in .string(try v.pythonStr().lowercased()) },
        "upper": { v, _, _, _ in .string(try v.pythonStr().uppercased()) },
        "capitalize": { v, _, _, _ in .string(StringOps.capitalize(try v.pythonStr())) },
        "title": { v, _, _, _ in .string(jinjaTitle(try v.pythonStr())) },
        "replace": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let s = try v.pythonStr()
            return .string(StringOps.replace(s, try args.string(0, "old", ""), try args.string(1, "new", ""), count: try args.int(2, "count", -1)))
        },
        "trim": { v, a, k, _ in
            let chars = try FilterArguments(a, k).optionalString(0, "chars")
            let f = Methods.stripSet(chars)
            return .string(String(try v.pythonStr().drop(while: f).reversed().drop(while: f).reversed()))
        },
        "length": { v, _, _, _ in .int(try Operators.length(v)) },
        "count": { v, _, _, _ in .int(try Operators.length(v)) },
        "first": { v, _, _, _ in
            try Operators.iterate(v).first ?? .undefined(UndefinedValue(message: "No first item, sequence was empty."))
        },
        "last": { v, _, _, _ in
            let items = try Operators.iterate(v)
            return items.last ?? .undefined(UndefinedValue(message: "No last item, sequence was empty."))
        },
        "sum": { v, a, k, _ in
            let args = FilterArguments(a, k)
            var total = args[1, "start"] ?? .int(0)
            let attr = try args.optionalString(0, "attribute")
            for item in try Operators.iterate(v) {
                total = try Operators.binary("+", total, try attr.map { try item.path($0) } ?? item)
            }
            return total
        },
        "reverse": { v, _, _, _ in
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .list(try Operators.iterate(v).reversed())
        },
        "list": { v, _, _, _ in .list(try Operators.iterate(v)) },
        "abs": { v, _, _, _ in
            switch try Conversions.toNumber(v) {
            case .int(let i): return .int(Swift.abs(i))
            case .double(let d): return .double(Swift.abs(d))
            }
        },
        "round": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let precision = try args.int(0, "precision", 0)
            let method = try args.string(1, "method", "common")
            let d = try Conversions.toNumber(v).asDouble
            let scale = pow(10.0, Double(precision))
            switch method {
            case "ceil": return .double((d * scale).rounded(.up) / scale)
            case "floor": return .double((d * scale).rounded(.down) / scale)
            case "common":
                if case .int(let i) = v {
                    guard precision < 0 else { return .int(i) }
                    return .int(Int(pythonRound(Double(i), precision)))
                }
                return .double(pythonRound(d, precision))
            default: throw KeelError("method must be common, ceil or floor")
            }
        },
        "join": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let sep = try args.string(0, "d", "")
            let attr = try args.optionalString(1, "attribute")
            return .string(try Operators.iterate(v).map { item in try (attr.map { try item.path($0) } ?? item).pythonStr() }.joined(separator: sep))
        },
        "center": { v, a, k, _ in
            let s = try v.pythonStr()
            let width = Swift.min(try FilterArguments(a, k).int(0, "width", 80), 100_000)
            let pad = Swift.max(0, width - s.count)
            let left = pad / 2 + (pad & width & 1)
            return .string(String(repeating: " ", count: left) + s + String(repeating: " ", count: pad - left))
        },
        "indent": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let width = args[0, "width"].map { w -> String in if case .string(let s) = w { return s }; return String(repeating: " ", count: Swift.min(Swift.max(0, (try? Conversions.toIntStrict(w)) ?? 4), 1000)) } ?? "    "
            let first = try args.bool(1, "first", false)
            let blank = try args.bool(2, "blank", false)
            var s = try v.pythonStr()
            var lines = s.components(separatedBy: "\n")
            let trailingNewline = s.hasSuffix("\n")
            if trailingNewline { lines.removeLast() }
            for i in lines.indices where i > 0 || first {
                if blank || !lines[i].allSatisfy({ $0.isWhitespace }) { lines[i] = width + lines[i] }
            }
            s = lines.joined(separator: "\n") + (trailingNewline ? "\n" : "")
            return .string(s)
        },
        "wordcount": { v, _, _, _ in
            .int(try v.pythonStr().split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).count)
        },
        "truncate": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let s = try v.pythonStr()
            let length = try args.int(0, "length", 255)
            let killwords = try args.bool(1, "killwords", false)
            let end = try args.string(2, "end", "...")
            let leeway = try args.int(3, "leeway", 5)
            if s.count <= length + leeway { return .string(s) }
            if killwords { return .string(String(s.prefix(Swift.max(0, length - end.count))) + end) }
            let head = String(s.prefix(Swift.max(0, length - end.count)))
            let cut = head.range(of: " ", options: .backwards).map { String(head[..<$0.lowerBound]) } ?? head
            return .string(cut + end)
        },
        "e": escape, "escape": escape, "forceescape": escape,
        "safe": { v, _, _, _ in v },
        "format": { v, a, k, _ in
            let s = try v.pythonStr()
            if !k.isEmpty {
                var d = OrderedDictionary<RValue, RValue>()
                for (key, val) in k { d[.string(key)] = val }
                return .string(try PythonFormat.percent(s, .dict(d)))
            }
            return .string(try PythonFormat.percent(s, .tuple(a)))
        },
        "items": { v, _, _, _ in
            if case .undefined = v { return .list([]) }
            guard case .dict(let d) = v else { throw KeelError("Can only get item pairs from a mapping.") }
            return .list(d.map { .tuple([$0.key, $0.value]) })
        },
        "dictsort": { v, a, k, _ in
            let args = FilterArguments(a, k)
            guard case .dict(let d) = v else { throw KeelError("You can only sort by either \"key\" or \"value\"") }
            let caseSensitive = try args.bool(0, "case_sensitive", false)
            let byValue = try args.string(1, "by", "key") == "value"
            let reverse = try args.bool(2, "reverse", false)
            var pairs = d.map { ($0.key, $0.value) }
            try stableSort(&pairs) { x, y in
                try Operators.ordering(sortKey(byValue ? x.1 : x.0, caseSensitive), sortKey(byValue ? y.1 : y.0, caseSensitive)) < 0
            }
            if reverse { pairs.reverse() }
            return .list(pairs.map { .tuple([$0.0, $0.1]) })
        },
        "batch": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let size = try args.int(0, "linecount", 1)
            guard size > 0 else { throw KeelError("batch size must be positive") }
            let fill = args[1, "fill_with"]
            let items = try Operators.iterate(v)
            var out: [RValue] = []
            var i = 0
            while i < items.count {
                var chunk = Array(items[i..<Swift.min(i + size, items.count)])
                if let fill, !fill.isNone { while chunk.count < size { chunk.append(fill) } }
                out.append(.list(chunk)); i += size
            }
            return .list(out)
        },
        "slice": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let slices = try args.int(0, "slices", 1)
            guard slices > 0 else { throw KeelError("slice count must be positive") }
            let fill = args[1, "fill_with"]
            let items = try Operators.iterate(v)
            let per = items.count / slices, extra = items.count % slices
            var offset = 0
            var out: [RValue] = []
            for n in 0..<slices {
                let start = offset + n * per
                if n < extra { offset += 1 }
                let end = offset + (n + 1) * per
                var chunk = Array(items[start..<end])
                if let fill, !fill.isNone, n >= extra, extra > 0 { chunk.append(fill) }
                out.append(.list(chunk))
            }
            return .list(out)
        },
        "groupby": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let attr = try args.string(0, "attribute", "")
            let def = args[1, "default"]
            let caseSensitive = try args.bool(2, "case_sensitive", false)
            var keyed: [(RValue, RValue)] = []
            for item in try Operators.iterate(v) {
                var key = try item.path(attr)
                if key.isUndefined, let def { key = def }
                keyed.append((try Operators.defined(key), item))
            }
            try stableSort(&keyed) { try Operators.ordering(sortKey($0.0, caseSensitive), sortKey($1.0, caseSensitive)) < 0 }
            var groups: [(RValue, [RValue])] = []
            for (key, item) in keyed {
                if let last = groups.last, sortKey(last.0, caseSensitive) == sortKey(key, caseSensitive) { groups[groups.count - 1].1.append(item) }
                else { groups.append((key, [item])) }
            }
            return .list(groups.map { .tuple([$0.0, .list($0.1)]) })
        },
        "urlencode": { v, _, _, _ in
            switch v {
            case .dict(let d):
                return .string(try d.map { "\(urlQuote(try $0.key.pythonStr(), safe: "", plus: true))=\(urlQuote(try $0.value.pythonStr(), safe: "", plus: true))" }.joined(separator: "&"))
            case .string(let s): return .string(urlQuote(s, safe: "/"))
            default:
                if let items = v.sequence {
                    return .string(try items.map { pair in
                        let kv = try Operators.iterate(pair)
                        return "\(urlQuote(try kv[0].pythonStr(), safe: "", plus: true))=\(urlQuote(try kv[1].pythonStr(), safe: "", plus: true))"
                    }.joined(separator: "&"))
                }
                return .string(urlQuote(try v.pythonStr(), safe: "/"))
            }
        },
        "tojson": { v, a, k, _ in .string(try JSONText.dump(v, indent: try FilterArguments(a, k).int(0, "indent", -1) >= 0 ? try FilterArguments(a, k).int(0, "indent", 0) : nil, sortKeys: true, htmlSafe: true)) },
        "attr": { v, a, _, _ in try Access.attribute(v, try (a.first ?? .string("")).pythonStr()) },
        "pprint": { v, _, _, _ in .string(try v.pythonRepr()) },
        "striptags": { v, _, _, _ in
            let s = try v.pythonStr().replacingOccurrences(of: "<[^>]*>", with: "", options: .regularExpression)
            return .string(s.split(whereSeparator: { $0.isWhitespace }).joined(separator: " "))
        },
    ]

    static let defaultFilter: FilterBody = { v, a, k, _ in
        let args = FilterArguments(a, k)
        let fallback = args[0, "default_value"] ?? .string("")
        // Ansible's default replaces only its own undefined values, not Jinja2's lenient one.
        if case .undefined(let u) = v {
            let boolean = try args.bool(1, "boolean", false)
            return u.lenient && !boolean ? v : fallback
        }
        if try args.bool(1, "boolean", false), !(try Operators.truthy(v)) { return fallback }
        return v
    }

    static let escape: FilterBody = { v, _, _, _ in
        var out = ""
        for c in try v.pythonStr() {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return .string(out)
    }

    /// Jinja2's `title`: capitalise the first letter after whitespace, hyphens and brackets.
    static func jinjaTitle(_ s: String) -> String {
        var out = ""
        var atWordStart = true
        for c in s {
            if atWordStart && (c.isLetter || c.isNumber || c == "_") {
                out += c.uppercased(); atWordStart = false
            } else if c.isWhitespace || "-({[<".contains(c) {
                out.append(c); atWordStart = true
            } else {
                out += c.lowercased()
            }
        }
        return out
    }

    /// Python's round(x, n): round half to even on the exact binary value.
    static func pythonRound(_ d: Double, _ precision: Int) -> Double {
        guard d.isFinite else { return d }
        let text = String(format: "%.\(Swift.max(0, precision))f", d)
        if precision >= 0 { return Double(text) ?? d }
        let scale = pow(10.0, Double(-precision))
        return (d / scale).rounded(.toNearestOrEven) * scale
    }

    /// Strings compare case-insensitively unless asked otherwise (Jinja2's `ignore_case`).
    static func sortKey(_ v: RValue, _ caseSensitive: Bool) -> RValue {
        if !caseSensitive, case .string(let s) = v { return .string(s.lowercased()) }
        return v
    }

    static func stableSort<T>(_ items: inout [T], by less: (T, T) throws -> Bool) throws {
        var indexed = Array(items.enumerated())
        var failure: Error?
        indexed.sort { a, b in
            if failure != nil { return false }
            do {
                if try less(a.element, b.element) { return true }
                if try less(b.element, a.element) { return false }
            } catch { failure = error; return false }
            return a.offset < b.offset
        }
        if let failure { throw failure }
        items = indexed.map(\.element)
    }

    /// `urllib.parse.quote` (`quote_plus` for query strings: spaces become `+`).
    static func urlQuote(_ s: String, safe: String, plus: Bool = false) -> String {
        var out = ""
        for b in s.utf8 {
            let c = Character(Unicode.Scalar(b))
            if plus && c == " " { out.append("+"); continue }
            if (b < 0x80 && (c.isLetter || c.isNumber)) || "_.-~".contains(c) || safe.contains(c) { out.append(c) }
            else { out += String(format: "%%%02X", b) }
        }
        return out
    }
}
