import Foundation
import KeelBase
import OrderedCollections

/// Ansible's own filters (ansible.builtin: core, mathstuff, urls, paths, encoding).
enum AnsibleFilters {
    static let all: [String: FilterBody] = [
        "bool": { v, _, _, _ in
            switch v {
            case .bool(let b): return .bool(b)
            case .string(let s): return .bool(["yes", "on", "true", "1"].contains(s.lowercased()))
            case .int(let i): return .bool(i == 1)
            case .double(let d): return .bool(d == 1)
            default: return .bool(false)
            }
        },
        "mandatory": { v, a, k, _ in
            if case .undefined(let u) = v {
                if let msg = try FilterArguments(a, k).optionalString(0, "msg") { throw KeelError(msg) }
                throw KeelError("Mandatory variable \(u.variable.map { "'\($0)' " } ?? "")not defined.")
            }
            return v
        },
        "ternary": { v, a, k, _ in
            let args = FilterArguments(a, k)
            guard let t = args[0, "true_val"], let f = args[1, "false_val"] else { throw KeelError("ternary() missing required arguments: 'true_val' and 'false_val'") }
            if v.isNone, let n = args[2, "none_val"], !n.isNone { return n }
            return try Operators.truthy(v) ? t : f
        },
        "to_json": { v, a, k, _ in
            let indent = k["indent"].flatMap { $0.isNone ? nil : try? Conversions.toIntStrict($0) }
            let sortKeys = try k["sort_keys"].map(Operators.truthy) ?? false
            return .string(try JSONText.dump(v, indent: indent, sortKeys: sortKeys))
        },
        "to_nice_json": { v, a, k, _ in
            let args = FilterArguments(a, k)
            return .string(try JSONText.dump(v, indent: try args.int(0, "indent", 4), sortKeys: try args.bool(1, "sort_keys", true)))
        },
        "from_json": { v, _, _, _ in
            do { return RValue(try Value.parseJSON(try v.pythonStr())) } catch {
                throw KeelError("from_json: the input is not valid JSON")
            }
        },
        "to_yaml": { v, _, k, _ in
            let indent = try k["indent"].map(Conversions.toIntStrict) ?? 2
            let flow = k["default_flow_style"].map { $0.isNone } ?? true
            return .string(try YAMLText.dump(v, indent: indent, flowLeaves: flow, sortKeys: try k["sort_keys"].map(Operators.truthy) ?? true))
        },
        "to_nice_yaml": { v, a, k, _ in
            let indent = try FilterArguments(a, k).int(0, "indent", 4)
            return .string(try YAMLText.dump(v, indent: indent, flowLeaves: false, sortKeys: try k["sort_keys"].map(Operators.truthy) ?? true))
        },
        "from_yaml": { v, _, _, _ in
            guard case .string(let s) = v else { return v }
            return try YAMLReader.parse(s)
        },
        "b64encode": { v, _, _, _ in .string(Data(try v.pythonStr().utf8).base64EncodedString()) },
        "b64decode": { v, _, _, _ in
            var s = try v.pythonStr().filter { !$0.isWhitespace }
            while s.count % 4 != 0 { s += "=" }
            guard let d = Data(base64Encoded: s) else { throw KeelError("Incorrect padding") }
            return .string(String(decoding: d, as: UTF8.self))
        },
        "hash": { v, a, k, _ in
            let algorithm = try FilterArguments(a, k).string(0, "hashtype", "sha1")
            return .string(try digest(try v.pythonStr(), algorithm))
        },
        "checksum": { v, _, _, _ in .string(try digest(try v.pythonStr(), "sha1")) },
        "sha1": { v, _, _, _ in .string(try digest(try v.pythonStr(), "sha1")) },
        "md5": { v, _, _, _ in .string(try digest(try v.pythonStr(), "md5")) },
        "quote": { v, _, _, _ in
            let s = try v.isNone ? "None" : v.pythonStr()
            if s.isEmpty { return .string("''") }
            if s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "@%+=:,./-_".contains($0)) }) { return .string(s) }
            return .string("'" + s.replacingOccurrences(of: "'", with: "'\"'\"'") + "'")
        },
        "basename": { v, _, _, _ in
            let s = try v.pythonStr()
            return .string(s.lastIndex(of: "/").map { String(s[s.index(after: $0)...]) } ?? s)
        },
        "relpath": { v, args, kwargs, _ in
            let start = try (args.first ?? kwargs["start"]).flatMap { $0.isNone ? nil : try $0.pythonStr() }
            return .string(RelativePath.relative(try v.pythonStr(), to: start))
        },
        "dirname": { v, _, _, _ in
            let s = try v.pythonStr()
            guard let i = s.lastIndex(of: "/") else { return .string("") }
            var head = String(s[...i])
            if head.contains(where: { $0 != "/" }) { while head.hasSuffix("/") { head.removeLast() } }
            return .string(head)
        },
        "splitext": { v, _, _, _ in
            let s = try v.pythonStr()
            let baseStart = s.lastIndex(of: "/").map { s.index(after: $0) } ?? s.startIndex
            let base = s[baseStart...]
            if let dot = base.lastIndex(of: "."), base[base.startIndex..<dot].contains(where: { $0 != "." }) {
                return .tuple([.string(String(s[..<dot])), .string(String(s[dot...]))])
            }
            return .tuple([.string(s), .string("")])
        },
        "path_join": { v, _, _, _ in
            var out = ""
            for part in try (v.sequence ?? [v]).map({ try $0.pythonStr() }) {
                if part.hasPrefix("/") { out = part } else if out.isEmpty || out.hasSuffix("/") { out += part } else { out += "/" + part }
            }
            return .string(out)
        },
        "regex_replace": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let re = try PythonRegex.compile(try args.string(0, "pattern", ""), ignoreCase: try args.bool(2, "ignorecase", false),
                                             multiline: try args.bool(3, "multiline", false))
            return .string(try PythonRegex.substitute(re, try v.pythonStr(), try args.string(1, "replacement", ""), count: try args.int(4, "count", 0)))
        },
        "regex_search": { v, a, k, _ in
            guard let pattern = a.first else { throw KeelError("regex_search() missing required argument: 'regex'") }
            let s = try v.pythonStr()
            let re = try PythonRegex.compile(try pattern.pythonStr(), ignoreCase: try k["ignorecase"].map(Operators.truthy) ?? false,
                                             multiline: try k["multiline"].map(Operators.truthy) ?? false)
            // Group references ('\\1', '\\g<name>') are checked before searching, as Ansible does.
            enum GroupRef { case number(Int), name(String) }
            let refs: [GroupRef] = try a.dropFirst().map { ref in
                let r = try ref.pythonStr()
                if r.hasPrefix("\\g") {
                    guard r.dropFirst(2).hasPrefix("<"), let close = r.firstIndex(of: ">") else {
                        throw KeelError("regex_search: malformed group reference '\(r)'", expected: "\\g<name> or \\1")
                    }
                    let name = String(r[r.index(r.startIndex, offsetBy: 3)..<close])
                    return Int(name).map(GroupRef.number) ?? .name(name)
                }
                if r.hasPrefix("\\") {
                    let digits = r.dropFirst().prefix { $0.isNumber }
                    guard let i = Int(digits) else { throw KeelError("regex_search: malformed group reference '\(r)'", expected: "\\g<name> or \\1") }
                    return .number(i)
                }
                throw KeelError("Unknown argument")
            }
            guard let m = PythonRegex.matches(re, s, limit: 1).first else { return .none }
            if refs.isEmpty { return PythonRegex.group(m, 0, in: s) }
            return .list(refs.map { ref in
                switch ref {
                case .number(let i): return PythonRegex.group(m, i, in: s)
                case .name(let n): return PythonRegex.namedGroup(m, n, in: s)
                }
            })
        },
        "regex_findall": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let s = try v.pythonStr()
            let re = try PythonRegex.compile(try args.string(0, "regex", ""), ignoreCase: try args.bool(2, "ignorecase", false),
                                             multiline: try args.bool(1, "multiline", false))
            return .list(PythonRegex.matches(re, s).map { m in
                let groups = m.numberOfRanges - 1
                if groups == 0 { return PythonRegex.group(m, 0, in: s) }
                if groups == 1 { let g = PythonRegex.group(m, 1, in: s); return g.isNone ? .string("") : g }
                return .tuple((1...groups).map { let g = PythonRegex.group(m, $0, in: s); return g.isNone ? .string("") : g })
            })
        },
        "regex_escape": { v, _, _, _ in .string(PythonRegex.escape(try v.pythonStr())) },
        "split": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let sep = try args.optionalString(0, "seperator")
            return .list(StringOps.split(try v.pythonStr(), sep, try args.int(1, "maxsplit", -1), fromRight: false).map { .string($0) })
        },
        "type_debug": { v, _, _, _ in .string(v.typeName) },
        "extract": { v, a, k, _ in
            guard let container = a.first else { throw KeelError("extract() missing required argument: 'container'") }
            var value = try Access.item(container, v)
            if let more = FilterArguments(a, k)[1, "morekeys"] {
                for key in more.sequence ?? [more] { value = try Access.item(value, key) }
            }
            return value
        },
        "urldecode": { v, _, _, _ in .string(try v.pythonStr().replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? v.pythonStr()) },
        "human_readable": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let size = try Conversions.toNumber(v).asDouble
            let isBits = try args.bool(0, "isbits", false)
            let unit = try args.optionalString(1, "unit")
            return .string(SizeUnits.toHuman(size, isBits: isBits, unit: unit))
        },
        "human_to_bytes": { v, a, k, _ in
            let args = FilterArguments(a, k)
            return .int(try SizeUnits.toBytes(try v.pythonStr(), defaultUnit: try args.optionalString(0, "default_unit"),
                                              isBits: try args.bool(1, "isbits", false)))
        },
        "log": { v, a, _, _ in
            let x = try Conversions.toNumber(v).asDouble
            if let base = a.first { return .double(Foundation.log(x) / Foundation.log(try Conversions.toNumber(base).asDouble)) }
            return .double(Foundation.log(x))
        },
        "pow": { v, a, _, _ in .double(Foundation.pow(try Conversions.toNumber(v).asDouble, try Conversions.toNumber(a.first ?? .int(1)).asDouble)) },
        "root": { v, a, _, _ in
            let x = try Conversions.toNumber(v).asDouble
            let base = try a.first.map { try Conversions.toNumber($0).asDouble } ?? 2
            return .double(base == 2 ? x.squareRoot() : Foundation.pow(x, 1 / base))
        },
    ]

    static func digest(_ s: String, _ algorithm: String) throws -> String {
        let bytes = Array(s.utf8)
        switch algorithm {
        case "sha1": return hexString(Digest.sha1(bytes))
        case "md5": return hexString(Digest.md5(bytes))
        case "sha256": return hexString(Digest.sha256(bytes))
        default: throw KeelError("unsupported hash type '\(algorithm)'", expected: "md5, sha1 or sha256")
        }
    }
}
