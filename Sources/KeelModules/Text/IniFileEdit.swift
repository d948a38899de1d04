import Foundation

/// community.general.ini_file's edit, as a pure function of the file's lines: the same passes in the same
/// order (edit matching values, reuse other lines of the option, drop the rest, append what is missing at
/// the end of the section), so the bytes written and the `changed` flag are Ansible's. `changed` comes
/// from the edit, not from comparing texts: a file that only differs in line endings is left alone.
struct IniFileEdit {
    struct Condition: Equatable, Sendable { var option: String; var values: [String] }

    var section: String?
    var sectionHasValues: [Condition]?
    var option: String?
    var values: [String]
    var present: Bool
    var exclusive: Bool
    var noExtraSpaces: Bool
    var ignoreSpaces: Bool
    var allowNoValue: Bool
    var modifyInactiveOption: Bool

    struct Outcome: Equatable { var lines: [String]; var changed: Bool; var message: String }

    /// A line of `option`: whether it is commented out (`#`/`;`, only when inactive lines count) and its value.
    static func match(_ option: String, _ line: String, inactive: Bool) -> (comment: String, value: String)? {
        var rest = Substring(line)
        func skipBlanks() { rest = rest.drop(while: { $0 == " " || $0 == "\t" }) }
        skipBlanks()
        var comment = ""
        if inactive, let first = rest.first, first == "#" || first == ";" { comment = String(first); rest = rest.dropFirst() }
        skipBlanks()
        guard rest.hasPrefix(option) else { return nil }
        rest = rest.dropFirst(option.count)
        skipBlanks()
        if rest.isEmpty || rest == "\n" { return (comment, "") }
        guard rest.first == "=" else { return nil }
        rest = rest.dropFirst()
        skipBlanks()
        return (comment, String(rest.prefix(while: { $0 != "\n" })))
    }

    /// Blank or comment lines (`^[ \t]*([#;].*)?$`): new options go after the last line that is neither.
    static func isBlankOrComment(_ line: String) -> Bool {
        let rest = line.drop(while: { $0 == " " || $0 == "\t" })
        return rest.isEmpty || rest == "\n" || rest.first == "#" || rest.first == ";"
    }

    /// `^\[\s*NAME\s*]`: the header of the section, followed by anything.
    static func isHeader(_ line: String, of name: String) -> Bool {
        var rest = Substring(line)
        guard rest.first == "[" else { return false }
        rest = rest.dropFirst().drop(while: { $0.isWhitespace })
        guard rest.hasPrefix(name) else { return false }
        return rest.dropFirst(name.count).drop(while: { $0.isWhitespace }).first == "]"
    }

    func matches(_ option: String, _ line: String) -> (comment: String, value: String)? {
        Self.match(option, line, inactive: modifyInactiveOption)
    }

    func assignment(_ option: String, _ value: String) -> String { noExtraSpaces ? "\(option)=\(value)\n" : "\(option) = \(value)\n" }

    func hasValues(_ lines: ArraySlice<String>) -> Bool {
        for condition in sectionHasValues ?? [] {
            let found = lines.contains { line in
                guard let m = Self.match(condition.option, line, inactive: true) else { return false }
                return condition.values.isEmpty || condition.values.contains(m.value)
            }
            if !found { return false }
        }
        return true
    }

    func apply(to original: [String]) -> Outcome {
        var values: [String] = []
        for value in self.values where !values.contains(value) { values.append(value) }
        var changed = false
        var lines = original
        if lines.isEmpty { lines.append("\n") }
        if let last = lines.last, last.isEmpty || !last.hasSuffix("\n") { lines[lines.count - 1] += "\n"; changed = true }
        // Sentinel sections around the file, as Ansible's: an unnamed section is the fake first one.
        let fakeSection = "ad01e11446efb704fcdbdb21f2c43757423d91c5"
        lines.insert("[\(fakeSection)]", at: 0)
        lines.append("[")
        let section = (self.section?.isEmpty == false ? self.section! : fakeSection)
        let name = section.trimmingCharacters(in: .whitespacesAndNewlines)
        var withinSection = false
        var start = 0, end = 0
        for (index, line) in lines.enumerated() {
            if withinSection && line.hasPrefix("[") {
                if hasValues(lines[start..<index]) { end = index; break }
                withinSection = false
                start = 0; end = 0
            }
            if Self.isHeader(line, of: name) { withinSection = true; start = index }
        }
        let before = Array(lines[0..<start])
        var sectionLines = Array(lines[start..<end])
        let after = Array(lines[end...])
        var changedLines = [Bool](repeating: false, count: sectionLines.count)
        var message = "OK"
        var noValuePresent = false

        func update(_ index: Int, _ newLine: String) {
            var optionChanged: Bool?
            if ignoreSpaces, let option, let old = Self.match(option, sectionLines[index], inactive: true), old.comment.isEmpty {
                optionChanged = old.value != Self.match(option, newLine, inactive: true)?.value
            }
            let differs = optionChanged ?? (sectionLines[index] != newLine)
            if differs { sectionLines[index] = newLine; changed = true; message = "option changed" }
            changedLines[index] = true
        }

        if present, let option {
            for index in sectionLines.indices {
                guard let m = matches(option, sectionLines[index]) else { continue }
                if !values.isEmpty, let position = values.firstIndex(of: m.value) {
                    if m.value.isEmpty && allowNoValue {
                        update(index, option + "\n")
                        noValuePresent = true
                    } else {
                        update(index, assignment(option, m.value))
                    }
                    values.remove(at: position)
                } else if values.isEmpty && allowNoValue {
                    update(index, option + "\n")
                    noValuePresent = true
                    break
                }
            }
        }
        if present && exclusive && !allowNoValue, let option {
            if !values.isEmpty {
                for index in sectionLines.indices where !changedLines[index] && matches(option, sectionLines[index]) != nil {
                    update(index, assignment(option, values.removeFirst()))
                    if values.isEmpty { break }
                }
            }
            var index = sectionLines.count - 1
            while index > 0 {
                if !changedLines[index] && matches(option, sectionLines[index]) != nil {
                    sectionLines.remove(at: index)
                    changedLines.remove(at: index)
                    changed = true
                    message = "option changed"
                }
                index -= 1
            }
        }
        if present {
            var index = sectionLines.count
            while index > 0 {
                if !Self.isBlankOrComment(sectionLines[index - 1]) {
                    if let option, !values.isEmpty {
                        for value in values.reversed() { sectionLines.insert(assignment(option, value), at: index) }
                        message = "option added"
                        changed = true
                    } else if let option, values.isEmpty, allowNoValue, !noValuePresent {
                        sectionLines.insert(option + "\n", at: index)
                        message = "option added"
                        changed = true
                    }
                    break
                }
                index -= 1
            }
        } else if let option {
            let kept: [String]
            if exclusive {
                kept = sectionLines.filter { Self.match(option, $0, inactive: false) == nil }
            } else if !values.isEmpty {
                kept = sectionLines.filter { line in
                    guard let m = Self.match(option, line, inactive: false) else { return true }
                    return !values.contains(m.value)
                }
            } else {
                kept = sectionLines
            }
            if kept != sectionLines { changed = true; message = "option changed"; sectionLines = kept }
        } else if !sectionLines.isEmpty {
            sectionLines = []
            message = "section removed"
            changed = true
        }

        var result = before + sectionLines + after
        if !result.isEmpty { result.removeFirst() }
        if !result.isEmpty { result.removeLast() }
        if !withinSection && present {
            result.append("[\(section)]\n")
            message = "section and option added"
            for condition in sectionHasValues ?? [] {
                if condition.option != option {
                    if !condition.values.isEmpty {
                        for value in condition.values { result.append(assignment(condition.option, value)) }
                    } else if allowNoValue {
                        result.append(condition.option + "\n")
                    }
                } else if !exclusive {
                    for value in condition.values where !values.contains(value) { values.append(value) }
                }
            }
            if let option, !values.isEmpty {
                for value in values { result.append(assignment(option, value)) }
            } else if let option, values.isEmpty, allowNoValue {
                result.append(option + "\n")
            } else {
                message = "only section added"
            }
            changed = true
        }
        return Outcome(lines: result, changed: changed, message: message)
    }

    /// Python's text-mode readlines with encoding utf-8-sig: a leading BOM is dropped, \r\n and \r read
    /// as \n, and lines keep their \n.
    static func readLines(_ text: String) -> [String] {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        let normalized = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        var lines: [String] = []
        var current = ""
        for character in normalized {
            current.append(character)
            if character == "\n" { lines.append(current); current = "" }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
