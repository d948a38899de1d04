/// A file mode as playbooks write it: octal (`0644`, `"755"`, or the integer YAML made of 0644) or
/// symbolic as chmod(1) takes it (`u=rw,g=r,o=`, `a+x`, `u+rwX,go-w`). Symbolic modes are relative to the
/// file's current mode, so they are resolved against what was observed.
public enum FileMode: Sendable, Equatable {
    case octal(Int)
    case symbolic([Clause])

    public struct Clause: Sendable, Equatable {
        var who: Int            // mask of permission bits the clause may touch (u=0o4700 incl. setuid, ...)
        var operation: Character // + - =
        var permissions: String  // letters from rwxXst, or a copy source u/g/o
    }

    public static func parse(_ text: String) -> FileMode? {
        if !text.isEmpty, text.allSatisfy({ ("0"..."7").contains($0) }), let value = Int(text, radix: 8), value <= 0o7777 {
            return .octal(value)
        }
        var clauses: [Clause] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard let opIndex = part.firstIndex(where: { "+-=".contains($0) }) else { return nil }
            let whoText = part[part.startIndex..<opIndex]
            var who = 0
            for c in whoText {
                switch c {
                case "u": who |= 0o4700
                case "g": who |= 0o2070
                case "o": who |= 0o1007
                case "a": who |= 0o7777
                default: return nil
                }
            }
            if whoText.isEmpty { who = 0o7777 }
            // Several operations may follow one another: u+r-w
            var rest = part[opIndex...]
            while let op = rest.first {
                rest = rest.dropFirst()
                let perms = rest.prefix { !"+-=".contains($0) }
                rest = rest.dropFirst(perms.count)
                guard "+-=".contains(op), perms.allSatisfy({ "rwxXstugo".contains($0) }) else { return nil }
                clauses.append(Clause(who: who, operation: op, permissions: String(perms)))
            }
        }
        return clauses.isEmpty ? nil : .symbolic(clauses)
    }

    /// From a task argument: a string, or an integer as YAML produced it (0644 -> 420).
    public static func from(argument value: Int) -> FileMode { .octal(value & 0o7777) }

    /// The resulting permission bits for a file whose current bits are `current`.
    public func resolve(current: Int, isDirectory: Bool) -> Int {
        switch self {
        case .octal(let value):
            return value
        case .symbolic(let clauses):
            var mode = current & 0o7777
            for clause in clauses {
                var bits = 0
                for p in clause.permissions {
                    switch p {
                    case "r": bits |= 0o444
                    case "w": bits |= 0o222
                    case "x": bits |= 0o111
                    case "X": if isDirectory || mode & 0o111 != 0 { bits |= 0o111 }
                    case "s": bits |= 0o6000
                    case "t": bits |= 0o1000
                    case "u": bits |= FileMode.spread((mode >> 6) & 7)
                    case "g": bits |= FileMode.spread((mode >> 3) & 7)
                    case "o": bits |= FileMode.spread(mode & 7)
                    default: break
                    }
                }
                bits &= clause.who
                switch clause.operation {
                case "+": mode |= bits
                case "-": mode &= ~bits
                default: mode = (mode & ~(clause.who & 0o7777)) | bits
                }
            }
            return mode
        }
    }

    /// rwx bits copied to all three classes (for u/g/o as a permission source).
    static func spread(_ rwx: Int) -> Int { rwx << 6 | rwx << 3 | rwx }
}
