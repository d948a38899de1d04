import Foundation
import KeelBase

/// Python's `%` string formatting and `str.format`, the two ways playbooks build strings.
enum PythonFormat {
    struct Spec {
        var fill: Character = " "
        var align: Character? = nil
        var sign: Character? = nil
        var alternate = false
        var zero = false
        var width = 0
        var grouping: Character? = nil
        var precision: Int? = nil
        var type: Character? = nil
    }

    static func percent(_ format: String, _ args: RValue) throws -> String {
        var positional: [RValue]
        var mapping: RValue? = nil
        switch args {
        case .tuple(let l): positional = l
        case .dict: positional = [args]; mapping = args
        default: positional = [args]
        }
        var out = ""
        var chars = Array(format)[...]
        var used = 0
        func next() throws -> RValue {
            guard used < positional.count else { throw KeelError("not enough arguments for format string") }
            defer { used += 1 }
            return positional[used]
        }
        while let c = chars.popFirst() {
            guard c == "%" else { out.append(c); continue }
            var key: String? = nil
            if chars.first == "(" {
                chars.removeFirst()
                var k = ""
                while let d = chars.popFirst(), d != ")" { k.append(d) }
                key = k
            }
            var spec = Spec()
            while let f = chars.first, "-+ #0".contains(f) {
                chars.removeFirst()
                switch f {
                case "-": spec.align = "<"
                case "+": spec.sign = "+"
                case " ": if spec.sign == nil { spec.sign = " " }
                case "#": spec.alternate = true
                default: spec.zero = true
                }
            }
            var width = ""
            if chars.first == "*" { chars.removeFirst(); width = String(try Conversions.toIntStrict(try next())) }
            while let d = chars.first, d.isNumber { width.append(d); chars.removeFirst() }
            spec.width = Int(width) ?? 0
            if chars.first == "." {
                chars.removeFirst()
                var p = ""
                while let d = chars.first, d.isNumber { p.append(d); chars.removeFirst() }
                spec.precision = Int(p) ?? 0
            }
            guard let type = chars.popFirst() else { throw KeelError("incomplete format") }
            if type == "%" { out.append("%"); continue }
            let value: RValue
            if let key {
                guard case .dict(let d)? = mapping, let v = d[.string(key)] else { throw KeelError("'\(key)'") }
                value = v
            } else { value = try next() }
            spec.type = type
            if spec.align == nil { spec.align = type == "s" || type == "r" ? ">" : nil }
            out += try formatValue(value, spec, percentStyle: true)
        }
        if mapping == nil, used < positional.count { throw KeelError("not all arguments converted during string formatting") }
        return out
    }

    /// `str.format`: `{}`, `{0}`, `{name}`, `{0.attr}`, `{:>10}`, `{:.2f}`.
    static func format(_ format: String, _ args: [RValue], _ kwargs: KeywordArguments) throws -> String {
        var out = ""
        var chars = Array(format)[...]
        var auto = 0
        while let c = chars.popFirst() {
            if c == "}" { if chars.first == "}" { chars.removeFirst() }; out.append("}"); continue }
            guard c == "{" else { out.append(c); continue }
            if chars.first == "{" { chars.removeFirst(); out.append("{"); continue }
            var field = ""
            var depth = 0
            while let d = chars.popFirst() {
                if d == "{" { depth += 1 }
                if d == "}" { if depth == 0 { break }; depth -= 1 }
                field.append(d)
            }
            var specText = ""
            var conversion: Character? = nil
            if let colon = field.firstIndex(of: ":") { specText = String(field[field.index(after: colon)...]); field = String(field[..<colon]) }
            if let bang = field.firstIndex(of: "!") { conversion = field[field.index(after: bang)...].first; field = String(field[..<bang]) }
            let head = field.prefix { $0 != "." && $0 != "[" }
            var value: RValue
            if head.isEmpty {
                guard auto < args.count else { throw KeelError("Replacement index \(auto) out of range for positional args tuple") }
                value = args[auto]; auto += 1
            } else if let i = Int(head) {
                guard i < args.count else { throw KeelError("Replacement index \(i) out of range for positional args tuple") }
                value = args[i]
            } else {
                guard let v = kwargs[String(head)] else { throw KeelError("'\(head)'") }
                value = v
            }
            var rest = field.dropFirst(head.count)
            while let f = rest.first {
                rest.removeFirst()
                let name = rest.prefix { $0 != "." && $0 != "[" && $0 != "]" }
                rest = rest.dropFirst(name.count)
                if f == "[" { rest = rest.drop { $0 == "]" } }
                if case .dict(let d) = value { value = d[Int(name).map { .int($0) } ?? .string(String(name))] ?? .none }
                else if let l = value.sequence, let i = Int(name), i < l.count { value = l[i] }
            }
            if conversion == "r" { value = .string(try value.pythonRepr()) }
            else if conversion == "s" { value = .string(try value.pythonStr()) }
            out += try formatValue(value, try parseSpec(specText), percentStyle: false)
        }
        return out
    }

    static func parseSpec(_ text: String) throws -> Spec {
        var spec = Spec()
        var chars = Array(text)[...]
        if chars.count >= 2, "<>^=".contains(chars[chars.startIndex + 1]) {
            spec.fill = chars.removeFirst(); spec.align = chars.removeFirst()
        } else if let f = chars.first, "<>^=".contains(f) { spec.align = chars.removeFirst() }
        if let f = chars.first, "+- ".contains(f) { spec.sign = chars.removeFirst() }
        if chars.first == "#" { spec.alternate = true; chars.removeFirst() }
        if chars.first == "0" { spec.zero = true; chars.removeFirst() }
        var width = ""
        while let d = chars.first, d.isNumber { width.append(d); chars.removeFirst() }
        spec.width = Int(width) ?? 0
        if let f = chars.first, f == "," || f == "_" { spec.grouping = chars.removeFirst() }
        if chars.first == "." {
            chars.removeFirst()
            var p = ""
            while let d = chars.first, d.isNumber { p.append(d); chars.removeFirst() }
            spec.precision = Int(p)
        }
        spec.type = chars.first
        return spec
    }

    static func formatValue(_ value: RValue, _ spec: Spec, percentStyle: Bool) throws -> String {
        var body: String
        var negative = false
        var numeric = false
        switch spec.type {
        case "s"?, nil:
            var isBool = false
            if case .bool = value { isBool = true }
            if spec.type == nil, !percentStyle, !isBool, let n = value.numeric {
                numeric = true
                switch n {
                case .int(let i):
                    negative = i < 0; body = String(i.magnitude)
                    if let g = spec.grouping { body = group(body, g) }
                case .double(let d):
                    negative = d < 0
                    body = spec.precision.map { fixedGeneral(abs(d), $0) } ?? PythonText.floatRepr(abs(d))
                }
                break
            }
            body = try value.pythonStr()
            if let p = spec.precision { body = String(body.prefix(p)) }
        case "r"?: body = try value.pythonRepr()
        case "d"?, "i"?, "u"?:
            let i = try Conversions.toIntStrict(value)
            numeric = true; negative = i < 0; body = String(i.magnitude)
            if let g = spec.grouping { body = group(body, g) }
        case "x"?, "X"?, "o"?, "b"?:
            let i = try Conversions.toIntStrict(value)
            numeric = true; negative = i < 0
            let radix = spec.type == "o" ? 8 : spec.type == "b" ? 2 : 16
            body = String(i.magnitude, radix: radix, uppercase: spec.type == "X")
            if spec.alternate { body = (radix == 16 ? (spec.type == "X" ? "0X" : "0x") : radix == 8 ? "0o" : "0b") + body }
        case "f"?, "F"?, "e"?, "E"?, "g"?, "G"?, "%"?:
            guard let n = value.numeric else { throw KeelError("must be real number, not \(value.typeName)") }
            var d = n.asDouble
            numeric = true; negative = d < 0 || (d == 0 && d.sign == .minus); d = abs(d)
            let p = spec.precision ?? 6
            switch spec.type! {
            case "f", "F": body = String(format: "%.\(p)f", d)
            case "e", "E": body = String(format: "%.\(p)\(spec.type!)", d)
            case "%": body = String(format: "%.\(p)f", d * 100) + "%"
            default: body = String(format: "%.\(p == 0 ? 1 : p)\(spec.type == "G" ? "G" : "g")", d)
            }
            if let g = spec.grouping, let dot = body.firstIndex(of: ".") ?? Optional(body.endIndex) {
                body = group(String(body[..<dot]), g) + body[dot...]
            }
        case "c"?:
            if case .int(let i) = value, let s = Unicode.Scalar(i) { body = String(Character(s)) } else { body = try value.pythonStr() }
        default:
            throw KeelError("unsupported format character '\(spec.type!)'")
        }
        var signText = ""
        if numeric {
            if negative { signText = "-" } else if spec.sign == "+" { signText = "+" } else if spec.sign == " " { signText = " " }
        }
        let total = signText.count + body.count
        guard spec.width > total else { return signText + body }
        let pad = spec.width - total
        if spec.zero && numeric && (spec.align == nil || spec.align == "=") {
            return signText + String(repeating: "0", count: pad) + body
        }
        let fill = String(spec.fill)
        let align = spec.align ?? (numeric ? ">" : "<")
        switch align {
        case "<": return signText + body + String(repeating: fill, count: pad)
        case "^": return String(repeating: fill, count: pad / 2) + signText + body + String(repeating: fill, count: pad - pad / 2)
        case "=": return signText + String(repeating: fill, count: pad) + body
        default: return String(repeating: fill, count: pad) + signText + body
        }
    }

    static func fixedGeneral(_ d: Double, _ p: Int) -> String { String(format: "%.\(max(p, 1))g", d) }

    static func group(_ digits: String, _ sep: Character) -> String {
        var out = ""
        for (i, c) in digits.reversed().enumerated() {
            if i > 0 && i % 3 == 0 { out.append(sep) }
            out.append(c)
        }
        return String(out.reversed())
    }
}
