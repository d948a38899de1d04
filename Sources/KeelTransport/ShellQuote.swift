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
}
