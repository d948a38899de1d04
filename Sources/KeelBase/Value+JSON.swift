import Foundation
import OrderedCollections

extension Value {
    /// Compact JSON with keys in insertion order (Python's `json.dumps` default separators are `, ` and
    /// `: `; this is the machine form, `pythonJSON` below is Python's).
    public func jsonString(sortedKeys: Bool = false) -> String {
        var out = ""
        writeJSON(into: &out, itemSeparator: ",", keySeparator: ":", sortedKeys: sortedKeys)
        return out
    }

    func writeJSON(into out: inout String, itemSeparator: String, keySeparator: String, sortedKeys: Bool) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += Value.formatDouble(d)
        case .string(let s): out += Value.jsonQuote(s)
        case .list(let l):
            out += "["
            for (i, v) in l.enumerated() {
                if i > 0 { out += itemSeparator }
                v.writeJSON(into: &out, itemSeparator: itemSeparator, keySeparator: keySeparator, sortedKeys: sortedKeys)
            }
            out += "]"
        case .dict(let d):
            out += "{"
            let keys = sortedKeys ? d.keys.sorted() : Array(d.keys)
            for (i, k) in keys.enumerated() {
                if i > 0 { out += itemSeparator }
                out += Value.jsonQuote(k) + keySeparator
                d[k]!.writeJSON(into: &out, itemSeparator: itemSeparator, keySeparator: keySeparator, sortedKeys: sortedKeys)
            }
            out += "}"
        }
    }

    /// Python's repr of a float: shortest round-tripping digits, always with a '.0' or exponent.
    public static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "NaN" }
        if d.isInfinite { return d < 0 ? "-Infinity" : "Infinity" }
        var s = "\(d)"
        if s.contains("e") {
            // Swift prints 1e+20 as "1e+20"; Python as "1e+20" too, but 1e-05 where Swift has "1e-05".
            return s
        }
        if !s.contains(".") { s += ".0" }
        return s
    }

    /// JSON string quoting with Python's default `ensure_ascii=True` escaping of non-ASCII.
    public static func jsonQuote(_ s: String, ensureASCII: Bool = true) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || (ensureASCII && scalar.value > 0x7e) {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += String(format: "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF))
                    } else {
                        out += String(format: "\\u%04x", scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    /// Parses JSON into a Value, keeping object key order.
    public static func parseJSON(_ text: String) throws -> Value {
        var parser = JSONValueParser(Array(text.utf8))
        let value = try parser.parseDocument()
        return value
    }
}

/// A small JSON reader that keeps key order (Foundation's JSONSerialization does not).
struct JSONValueParser {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func parseDocument() throws -> Value {
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        guard index == bytes.count else { throw error("end of JSON") }
        return value
    }

    func error(_ expected: String) -> KeelError {
        let found = index < bytes.count ? String(decoding: bytes[index..<min(bytes.count, index + 12)], as: UTF8.self) : "end of input"
        return KeelError("invalid JSON at offset \(index)", expected: expected, found: found)
    }

    mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    mutating func parseValue() throws -> Value {
        guard index < bytes.count else { throw error("a value") }
        switch bytes[index] {
        case UInt8(ascii: "{"):
            index += 1
            var d = OrderedDictionary<String, Value>()
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(d) }
            while true {
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("a string key") }
                let key = try parseString()
                skipWhitespace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("':'") }
                index += 1
                skipWhitespace()
                d[key] = try parseValue()
                skipWhitespace()
                guard index < bytes.count else { throw error("',' or '}'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .dict(d) }
                throw error("',' or '}'")
            }
        case UInt8(ascii: "["):
            index += 1
            var l: [Value] = []
            skipWhitespace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .list(l) }
            while true {
                skipWhitespace()
                l.append(try parseValue())
                skipWhitespace()
                guard index < bytes.count else { throw error("',' or ']'") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .list(l) }
                throw error("',' or ']'")
            }
        case UInt8(ascii: "\""):
            return .string(try parseString())
        case UInt8(ascii: "t"): return try literal("true", .bool(true))
        case UInt8(ascii: "f"): return try literal("false", .bool(false))
        case UInt8(ascii: "n"): return try literal("null", .null)
        case UInt8(ascii: "N"): return try literal("NaN", .double(.nan))
        case UInt8(ascii: "I"): return try literal("Infinity", .double(.infinity))
        default: return try parseNumber()
        }
    }

    mutating func literal(_ word: String, _ value: Value) throws -> Value {
        let w = Array(word.utf8)
        guard index + w.count <= bytes.count, Array(bytes[index..<index + w.count]) == w else { throw error(word) }
        index += w.count
        return value
    }

    mutating func parseNumber() throws -> Value {
        let start = index
        var isFloat = false
        if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "I") { index += 8; return .double(-.infinity) }
        while index < bytes.count {
            let c = bytes[index]
            if c >= 0x30 && c <= 0x39 { index += 1; continue }
            if c == UInt8(ascii: ".") || c == UInt8(ascii: "e") || c == UInt8(ascii: "E") || c == UInt8(ascii: "+")
                || (c == UInt8(ascii: "-") && index > start) { isFloat = true; index += 1; continue }
            break
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        if !isFloat, let i = Int(text) { return .int(i) }
        if let d = Double(text) { return .double(d) }
        index = start
        throw error("a JSON value")
    }

    mutating func parseString() throws -> String {
        index += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var raw: [UInt8] = []
        func flush() { scalars.append(contentsOf: String(decoding: raw, as: UTF8.self).unicodeScalars); raw.removeAll() }
        while index < bytes.count {
            let c = bytes[index]
            if c == UInt8(ascii: "\"") { index += 1; flush(); return String(scalars) }
            if c == UInt8(ascii: "\\") {
                flush()
                index += 1
                guard index < bytes.count else { break }
                let e = bytes[index]
                index += 1
                switch e {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if code >= 0xD800 && code < 0xDC00, index + 1 < bytes.count,
                       bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                        index += 2
                        let low = try hex4()
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    }
                    scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
                default: scalars.append(Unicode.Scalar(e))
                }
                continue
            }
            raw.append(c)
            index += 1
        }
        throw error("closing '\"'")
    }

    mutating func hex4() throws -> UInt32 {
        guard index + 4 <= bytes.count,
              let v = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16) else { throw error("4 hex digits") }
        index += 4
        return v
    }
}
