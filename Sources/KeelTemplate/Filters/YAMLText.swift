import Foundation
import KeelBase

/// PyYAML's `yaml.dump` spelling, as Ansible's `to_yaml` (flow style for collections of scalars) and
/// `to_nice_yaml` (block style everywhere, indent 4) produce it: keys sorted, plain scalars where PyYAML
/// allows them, single quotes otherwise, flow collections wrapped at 80 columns.
struct YAMLText {
    let indent: Int
    let flowLeaves: Bool
    let sortKeys: Bool
    static let width = 80

    static func dump(_ v: RValue, indent: Int, flowLeaves: Bool, sortKeys: Bool = true) throws -> String {
        let writer = YAMLText(indent: indent, flowLeaves: flowLeaves, sortKeys: sortKeys)
        var out = ""
        if writer.isBlock(v) {
            try writer.block(v, into: &out, level: 0)
        } else {
            var column = 0
            try writer.inline(v, into: &out, column: &column, level: 0)
            out += "\n"
        }
        return out
    }

    func children(_ v: RValue) -> [RValue]? {
        switch v {
        case .list(let l), .tuple(let l): return l
        case .dict(let d): return Array(d.values)
        default: return nil
        }
    }

    /// Non-empty collections are written in block style, except (with flowLeaves) those whose children
    /// are all scalars.
    func isBlock(_ v: RValue) -> Bool {
        guard let kids = children(v), !kids.isEmpty else { return false }
        if !flowLeaves { return true }
        return kids.contains { children($0) != nil }
    }

    func pairs(_ d: [(key: RValue, value: RValue)]) throws -> [(key: RValue, value: RValue)] {
        var p = d
        if sortKeys { try BuiltinFilters.stableSort(&p) { try Operators.ordering($0.key, $1.key) < 0 } }
        return p
    }

    func block(_ v: RValue, into out: inout String, level: Int) throws {
        let pad = String(repeating: " ", count: level)
        switch v {
        case .list(let l), .tuple(let l):
            for item in l {
                if isBlock(item) {
                    var inner = ""
                    try block(item, into: &inner, level: level + indent)
                    out += pad + "-" + String(repeating: " ", count: max(1, indent - 1)) + inner.dropFirst(level + indent)
                } else {
                    var line = pad + "- "
                    var column = line.count
                    try inline(item, into: &line, column: &column, level: level + indent)
                    out += line + "\n"
                }
            }
        case .dict(let d):
            for (k, item) in try pairs(Array(d)) {
                var line = pad
                var column = level
                try inline(k, into: &line, column: &column, level: level + indent, key: true)
                if isBlock(item) {
                    out += line + ":\n"
                    if case .dict = item { try block(item, into: &out, level: level + indent) }
                    else { try block(item, into: &out, level: level) }
                } else {
                    line += ": "; column += 2
                    try inline(item, into: &line, column: &column, level: level + indent)
                    out += line + "\n"
                }
            }
        default:
            var column = level
            var line = pad
            try inline(v, into: &line, column: &column, level: level + indent)
            out += line + "\n"
        }
    }

    /// A scalar or a flow collection, wrapping after a comma once past 80 columns as PyYAML does.
    func inline(_ v: RValue, into out: inout String, column: inout Int, level: Int, flow: Bool = false, key: Bool = false) throws {
        func write(_ s: String) {
            out += s
            if let nl = s.lastIndex(of: "\n") { column = s.distance(from: nl, to: s.endIndex) - 1 } else { column += s.count }
        }
        func separator(_ first: Bool) {
            if first { return }
            write(",")
            if column > YAMLText.width { write("\n" + String(repeating: " ", count: level)) } else { write(" ") }
        }
        switch v {
        case .list(let l), .tuple(let l):
            write("[")
            for (i, x) in l.enumerated() {
                separator(i == 0)
                try inline(x, into: &out, column: &column, level: level + 2, flow: true)
            }
            write("]")
        case .dict(let d):
            write("{")
            for (i, (k, x)) in try pairs(Array(d)).enumerated() {
                separator(i == 0)
                try inline(k, into: &out, column: &column, level: level + 2, flow: true, key: true)
                write(": ")
                try inline(x, into: &out, column: &column, level: level + 2, flow: true)
            }
            write("}")
        default:
            write(try YAMLText.scalar(v, flow: flow, continuation: level))
        }
    }

    static func scalar(_ v: RValue, flow: Bool, continuation: Int) throws -> String {
        switch v {
        case .undefined(let u): throw u.error
        case .none: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d):
            if d.isNaN { return ".nan" }
            if d.isInfinite { return d < 0 ? "-.inf" : ".inf" }
            var r = PythonText.floatRepr(d)
            if r.contains("e"), !r.contains(".") { r = r.replacingOccurrences(of: "e", with: ".0e") }
            return r
        case .string(let s): return quote(s, flow: flow, continuation: continuation)
        default: return try v.pythonStr()
        }
    }

    static let reserved: Set<String> = ["", "~", "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                                        "yes", "Yes", "YES", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "=", "<<"]

    static func quote(_ s: String, flow: Bool, continuation: Int) -> String {
        if s.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\n") || $0.value == 0x7f || $0 == "\u{FEFF}" }) {
            return doubleQuoted(s)
        }
        if s.contains("\n") {
            if s.hasPrefix(" ") || s.hasSuffix(" ") || s.hasSuffix("\n") || s.contains(" \n") || s.contains("\n ") { return doubleQuoted(s) }
            let pad = String(repeating: " ", count: continuation)
            return "'" + s.replacingOccurrences(of: "'", with: "''").replacingOccurrences(of: "\n", with: "\n\n" + pad) + "'"
        }
        if needsQuotes(s, flow: flow) { return "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        return s
    }

    /// PyYAML's `analyze_scalar` rules for when a plain scalar is not allowed.
    static func needsQuotes(_ s: String, flow: Bool) -> Bool {
        if reserved.contains(s) || looksNumeric(s) { return true }
        let chars = Array(s)
        guard let first = chars.first, let last = chars.last else { return true }
        if first == " " || last == " " { return true }
        var flowIndicators = false, blockIndicators = false
        for (i, c) in chars.enumerated() {
            let followedBySpace = i + 1 >= chars.count || chars[i + 1] == " "
            let precededBySpace = i > 0 && chars[i - 1] == " "
            if i == 0 {
                if "#,[]{}&*!|>'\"%@`".contains(c) { flowIndicators = true; blockIndicators = true }
                if c == "?" || c == ":" { flowIndicators = true; if followedBySpace { blockIndicators = true } }
                if c == "-" && followedBySpace { flowIndicators = true; blockIndicators = true }
            } else {
                if ",?[]{}".contains(c) { flowIndicators = true }
                if c == ":" { flowIndicators = true; if followedBySpace { blockIndicators = true } }
                if c == "#" && precededBySpace { flowIndicators = true; blockIndicators = true }
            }
        }
        return flow ? flowIndicators : blockIndicators
    }

    static func looksNumeric(_ s: String) -> Bool {
        let t = s.replacingOccurrences(of: "_", with: "")
        let patterns = [#"^[-+]?(0|[1-9][0-9]*)$"#, #"^[-+]?0b[01]+$"#, #"^[-+]?0[0-7]+$"#, #"^[-+]?0x[0-9a-fA-F]+$"#,
                        #"^[-+]?([0-9][0-9]*)?\.[0-9]*([eE][-+][0-9]+)?$"#, #"^[-+]?[0-9][0-9]*([eE][-+][0-9]+)$"#,
                        #"^[-+]?\.(inf|Inf|INF)$"#, #"^\.(nan|NaN|NAN)$"#, #"^[-+]?[1-9][0-9]*(:[0-5]?[0-9])+(\.[0-9]*)?$"#,
                        #"^[0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"#]
        return patterns.contains { t.range(of: $0, options: .regularExpression) != nil } && t != "." && t != "-" && t != "+"
    }

    static func doubleQuoted(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case "\0": out += "\\0"
            default:
                if u.value < 0x20 || u.value == 0x7f { out += String(format: "\\x%02X", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
