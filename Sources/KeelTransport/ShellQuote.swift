/// POSIX shell quoting: the one way strings enter remote command lines.
public enum ShellQuote {
    /// `it's` -> `'it'\''s'`. Safe for any byte sequence except NUL, which no shell argument can hold.
    public static func quote(_ s: String) -> String {
        if !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0)) }) {
            return s
        }
        return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
