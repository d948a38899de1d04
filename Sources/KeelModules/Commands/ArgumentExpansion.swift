import KeelTransport

/// command's `expand_argument_vars` (default true): like Python's os.path.expandvars then expanduser on
/// each word, as ansible-core's run_command does them, but on the host by the shell: `$NAME` and
/// `${NAME}` take the variable's value when it is set (even empty) and stay as written when it is not;
/// a leading `~` or `~user` becomes the home directory. Quoting in the task does not stop this (as in
/// Ansible); everything else in the word is passed literally.
enum ArgumentExpansion {
    /// The word as a shell word that expands as described.
    static func shellWord(_ word: String) -> String {
        var result = ""
        var rest = Substring(word)
        if rest.hasPrefix("~") {
            let user = rest.dropFirst().prefix { $0.isLetter || $0.isNumber || "._-".contains($0) }
            let after = rest.dropFirst(1 + user.count)
            if after.isEmpty || after.hasPrefix("/") {
                result += "~" + user
                rest = after
            }
        }
        var literal = ""
        func flush() {
            if !literal.isEmpty { result += ShellQuote.quote(literal); literal = "" }
        }
        while let dollar = rest.firstIndex(of: "$") {
            literal += rest[..<dollar]
            let after = rest[rest.index(after: dollar)...]
            if after.hasPrefix("{"), let close = after.firstIndex(of: "}") {
                let name = after[after.index(after: after.startIndex)..<close]
                if isName(name) {
                    flush()
                    result += "\"${\(name)-\\${\(name)\\}}\""
                    rest = after[after.index(after: close)...]
                    continue
                }
            } else {
                let name = after.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                if isName(name) {
                    flush()
                    result += "\"${\(name)-\\$\(name)}\""
                    rest = after.dropFirst(name.count)
                    continue
                }
            }
            literal += "$"
            rest = after
        }
        literal += rest
        flush()
        return result.isEmpty ? "''" : result
    }

    /// A shell variable name (Python would also try other names, which no environment holds).
    static func isName(_ name: Substring) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first == "_" else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }
}
