import KeelBase

/// Python's `codecs.escape_decode`: the escapes of a bytes literal (`\n`, `\t`, `\\`, `\x41`, `\101`,
/// backslash-newline), applied to the UTF-8 bytes of a text. assemble un-escapes its delimiter this way.
/// Unknown escapes (`\q`) stay as written, as in Python.
enum PythonBytesEscape {
    static func decode(_ input: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var i = 0
        while i < input.count {
            let byte = input[i]
            i += 1
            guard byte == UInt8(ascii: "\\") else { out.append(byte); continue }
            guard i < input.count else {
                throw KeelError("the delimiter ends in a lone backslash", expected: "an escape after \\ (Python: Trailing \\ in string)",
                                found: String(decoding: input, as: UTF8.self))
            }
            let escape = input[i]
            i += 1
            switch escape {
            case UInt8(ascii: "\n"): break
            case UInt8(ascii: "\\"), UInt8(ascii: "'"), UInt8(ascii: "\""): out.append(escape)
            case UInt8(ascii: "a"): out.append(7)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "v"): out.append(11)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                // Up to three octal digits; Python keeps the low eight bits of larger values (\777 is 0xff).
                var value = Int(escape - UInt8(ascii: "0"))
                var digits = 1
                while digits < 3, i < input.count, (UInt8(ascii: "0")...UInt8(ascii: "7")).contains(input[i]) {
                    value = value * 8 + Int(input[i] - UInt8(ascii: "0"))
                    i += 1
                    digits += 1
                }
                out.append(UInt8(value & 0xFF))
            case UInt8(ascii: "x"):
                guard i + 1 < input.count, let high = hexDigit(input[i]), let low = hexDigit(input[i + 1]) else {
                    throw KeelError("invalid \\x escape in the delimiter at position \(i - 2)", expected: "\\x and two hex digits",
                                    found: String(decoding: input, as: UTF8.self))
                }
                out.append(high << 4 | low)
                i += 2
            default:
                out.append(UInt8(ascii: "\\"))
                i -= 1
            }
        }
        return out
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
