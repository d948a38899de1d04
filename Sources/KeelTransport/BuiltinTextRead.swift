/// A read whose every byte of output is printed by the shell's own builtins (echo, printf, test, a `for`
/// over globbed names) from words of its own script: it starts no program, so it can print no NUL byte
/// and nothing on stderr that it did not write itself. A chain (ChainedChange) may therefore compare its
/// answer as a shell string, exactly, where any other read's output needs a file and a sha256sum.
/// `command`'s and `shell`'s creates/removes guards are such reads.
public enum BuiltinTextRead {
    private static let known = RememberedScripts<Bool>(most: 4096)

    /// `script`, remembered as a builtin text read. The caller vouches that it starts no program.
    public static func script(_ script: String) -> String {
        known.remember(script, as: true)
        return script
    }

    /// Whether `script` was made by `script(_:)` lately.
    public static func recognise(_ script: String) -> Bool {
        known.recognise(script) ?? false
    }
}
