import Foundation

/// POSIX shell quoting: the one way strings enter remote command lines.
public enum ShellQuote {
    /// `it's` -> `'it'\''s'`. Safe for any byte sequence except NUL, which no shell argument can hold.
    /// Works on UTF-8 bytes: every request's whole script goes through here, so it must stay cheap.
    public static func quote(_ s: String) -> String {
        let utf8 = s.utf8
        if !utf8.isEmpty, utf8.allSatisfy(isPlain) { return s }
        var quoted: [UInt8] = []
        quoted.reserveCapacity(utf8.count + 16)
        quoted.append(quote)
        for byte in utf8 {
            if byte == quote {
                quoted.append(contentsOf: [quote, backslash, quote, quote])
            } else {
                quoted.append(byte)
            }
        }
        quoted.append(quote)
        return String(decoding: quoted, as: UTF8.self)
    }

    private static let quote = UInt8(ascii: "'")
    private static let backslash = UInt8(ascii: "\\")

    /// Letters, digits and `-_./=:,+@%` need no quotes.
    private static func isPlain(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: ":"),
             UInt8(ascii: ","), UInt8(ascii: "+"), UInt8(ascii: "@"), UInt8(ascii: "%"):
            return true
        default:
            return false
        }
    }

    /// `bytes` as a printf format that prints exactly them (any byte, NUL included, with POSIX escapes and
    /// no single quote, so it fits between two): content carried in a script and written by the shell's builtin
    /// printf (ChainedChange: no `base64 -d` per change). Three-digit octal escapes, so a digit after one
    /// stays a digit.
    static func printfFormat(_ bytes: Data) -> String {
        var format = ""
        format.reserveCapacity(bytes.count + bytes.count / 8)
        for (index, byte) in bytes.enumerated() {
            switch byte {
            // A leading `-` would be read as an option (dash: "printf: Illegal option -").
            case UInt8(ascii: "-") where index == 0: format += "\\055"
            case UInt8(ascii: "\\"): format += "\\\\"
            case UInt8(ascii: "%"): format += "%%"
            case UInt8(ascii: "\n"): format += "\\n"
            case 0x20...0x7E where byte != UInt8(ascii: "'"): format.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let octal = String(byte, radix: 8)
                format += "\\" + String(repeating: "0", count: 3 - octal.count) + octal
            }
        }
        return format
    }
}
