import Foundation
import KeelBase
import KeelModel

/// Where a string value was written in its YAML file, so a name inside it can be reported at its own line
/// and column even when the loaded value kept only its task's location (nested arguments, vars).
struct WrittenStrings {
    /// Where a template's text starts in a file: the first character after an opening quote, or the first
    /// line of a block scalar's content with its indentation (added to the columns of later lines).
    struct Origin {
        var file: String
        var line: Int
        var column: Int
        var indent: Int
        /// For a scalar YAML folds (plain, quoted or `>`), the written lines its first line of text is made
        /// of, each joined to the next by one space: where each starts and how long it is.
        var folds: [(line: Int, column: Int, length: Int)] = []

        func location(line templateLine: Int, column templateColumn: Int) -> SourceLocation {
            if templateLine == 1, folds.count > 1 {
                var offset = templateColumn - 1
                for piece in folds {
                    if offset <= piece.length { return SourceLocation(file: file, line: piece.line, column: piece.column + offset) }
                    offset -= piece.length + 1
                }
            }
            if templateLine == 1 { return SourceLocation(file: file, line: line, column: column + templateColumn - 1) }
            return SourceLocation(file: file, line: line + templateLine - 1, column: indent + templateColumn)
        }
    }

    private var scalars: [String: [(location: SourceLocation, text: String, unsafe: Bool)]] = [:]
    private var lines: [String: [Substring]] = [:]

    /// The origin of `text` as written at or after `anchor` in the anchor's file; the anchor itself when the
    /// text is not a whole scalar there (a `key=value` argument, whose anchor is already exact). Nil for a
    /// string tagged `!unsafe`, which Ansible never templates.
    mutating func origin(of text: String, near anchor: SourceLocation) -> Origin? {
        let found = strings(in: anchor.file).first { entry in
            (entry.location.line, entry.location.column) >= (anchor.line, anchor.column) && entry.text == text
        }
        if found?.unsafe == true { return nil }
        var origin = contentOrigin(found?.location ?? anchor)
        if found != nil { origin.folds = folds(of: text, from: origin) }
        return origin
    }

    /// The written lines the first line of `text` spans when YAML folded them into one (nothing when it
    /// fits on its first written line).
    private mutating func folds(of text: String, from origin: Origin) -> [(line: Int, column: Int, length: Int)] {
        let fileLines = self.text(of: origin.file)
        let wanted = text.prefix { $0 != "\n" }.count
        var pieces: [(line: Int, column: Int, length: Int)] = []
        var total = -1
        var line = origin.line
        var column = origin.column
        while total < wanted, line >= 1, line <= fileLines.count, pieces.count < 200 {
            let written = Array(fileLines[line - 1])
            let start = min(max(column - 1, 0), written.count)
            let rest = String(written[start...]).trimmingCharacters(in: .whitespaces)
            let leading = written[start...].prefix { $0 == " " || $0 == "\t" }.count
            pieces.append((line, start + leading + 1, rest.count))
            total += rest.count + 1
            line += 1
            column = 1
        }
        return pieces.count > 1 ? pieces : []
    }

    private mutating func contentOrigin(_ location: SourceLocation) -> Origin {
        let fileLines = text(of: location.file)
        guard location.line >= 1, location.line <= fileLines.count else {
            return Origin(file: location.file, line: location.line, column: location.column, indent: 0)
        }
        let line = Array(fileLines[location.line - 1])
        let index = location.column - 1
        guard index >= 0, index < line.count else {
            return Origin(file: location.file, line: location.line, column: location.column, indent: 0)
        }
        switch line[index] {
        case "\"", "'":
            return Origin(file: location.file, line: location.line, column: location.column + 1, indent: location.column)
        case "|", ">":
            guard location.line < fileLines.count else { break }
            let next = fileLines[location.line]
            let indent = next.prefix { $0 == " " }.count
            return Origin(file: location.file, line: location.line + 1, column: indent + 1, indent: indent)
        default:
            // A `key=value` argument is located at its key: the value starts after `=` (and its quote).
            let rest = line[index...]
            if let equals = rest.firstIndex(of: "="), equals > index,
               rest[index..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) {
                let value = equals + 1
                let quoted = value < line.count && (line[value] == "\"" || line[value] == "'")
                let column = value + (quoted ? 1 : 0) + 1
                return Origin(file: location.file, line: location.line, column: column, indent: column - 1)
            }
        }
        return Origin(file: location.file, line: location.line, column: location.column, indent: location.column - 1)
    }

    private mutating func text(of file: String) -> [Substring] {
        if let cached = lines[file] { return cached }
        let content = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
        let split = content.split(separator: "\n", omittingEmptySubsequences: false)
        lines[file] = split
        return split
    }

    private mutating func strings(in file: String) -> [(location: SourceLocation, text: String, unsafe: Bool)] {
        if let cached = scalars[file] { return cached }
        var found: [(location: SourceLocation, text: String, unsafe: Bool)] = []
        func walk(_ node: YAMLNode) {
            switch node.kind {
            case .scalar(.string(let s)): found.append((node.location, s, node.tag == "!unsafe"))
            case .mapping(let pairs): pairs.forEach { walk($0.value) }
            case .sequence(let items): items.forEach(walk)
            default: break
            }
        }
        if let documents = try? String(contentsOfFile: file, encoding: .utf8),
           let nodes = try? YAMLLoader.loadAll(string: documents, file: file) {
            nodes.forEach(walk)
        }
        scalars[file] = found
        return found
    }
}
