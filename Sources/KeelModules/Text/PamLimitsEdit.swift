import KeelBase

/// community.general.pam_limits' edit of a limits file, line by line as the module does it: the line with
/// the same domain, type and item (fields separated by any whitespace, a trailing `# comment` apart) gets
/// the new value (with use_max/use_min, the larger/smaller of old and new, "unlimited" winning as there);
/// every other line is kept byte for byte; without such a line, `domain<TAB>type<TAB>item<TAB>value` (and
/// `<TAB>#comment`) is appended.
struct PamLimitsEdit {
    var domain: String
    var type: String
    var item: String
    var value: String
    var useMax = false
    var useMin = false
    var comment = ""

    static let unlimitedValues: Set<String> = ["unlimited", "infinity", "-1"]

    /// The module's value check, for the wanted value and for every line it reads.
    static func check(item: String, value: String, prefix: String = "") throws {
        if item == "nice" || item == "priority" {
            guard let number = Int(value), (-20...19).contains(number) else {
                throw KeelError("\(prefix)Value of '\(value)' for item '\(item)' is invalid. Value must be a number in the range -20 to 19 inclusive.")
            }
        } else if !(unlimitedValues.contains(value) || (!value.isEmpty && value.allSatisfy({ $0.isASCII && $0.isNumber }))) {
            throw KeelError("\(prefix)Value of '\(value)' for item '\(item)' is invalid. Value must either be 'unlimited', 'infinity' or -1, all of which indicate no limit, or a limit of 0 or larger.")
        }
    }

    /// The new lines (each with its ending), whether anything changed, and the line the module reports.
    /// Byte for byte what the module writes, including its quirks: with no `comment`, the comment of the
    /// first line that has fields (its newline included) is written after the new limit, and a file whose
    /// last line lacks a newline gets the new limit on that same line.
    func apply(to lines: [String], path: String) throws -> (lines: [String], changed: Bool, message: String) {
        var out: [String] = []
        var found = false, changed = false
        var message = ""
        var newComment = comment
        var newValue = value
        for line in lines {
            if line.hasPrefix("#") { out.append(line); continue }
            let squeezed = line.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
            if squeezed.isEmpty { out.append(line); continue }
            let parts = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let oldComment = parts.count == 2 ? String(parts[1]) : ""
            if newComment.isEmpty { newComment = oldComment }
            let fields = String(squeezed.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
                .split(separator: " ", omittingEmptySubsequences: false).map(String.init)
                .reversed().drop(while: { $0.isEmpty }).reversed().map { $0 }
            guard fields.count == 4 else { out.append(line); continue }
            try Self.check(item: fields[2], value: fields[3], prefix: "Invalid configuration found in '\(path)'. ")
            guard fields[0] == domain, fields[1] == type, fields[2] == item else { out.append(line); continue }
            found = true
            if value == fields[3] {
                message = line
                out.append(line)
                continue
            }
            newValue = self.newValue(current: fields[3])
            if newValue != fields[3] {
                changed = true
                if !newComment.isEmpty { newComment = "\t#" + newComment }
                message = [domain, type, item, newValue].joined(separator: "\t") + newComment + "\n"
                out.append(message)
            } else {
                message = line
                out.append(line)
            }
        }
        if !found {
            changed = true
            if !newComment.isEmpty { newComment = "\t#" + newComment }
            message = [domain, type, item, newValue].joined(separator: "\t") + newComment + "\n"
            out.append(message)
        }
        return (out, changed, message)
    }

    /// use_max / use_min against the value a line has (nice and priority compare as numbers only).
    func newValue(current: String) -> String {
        guard value != current else { return value }
        let numeric = item == "nice" || item == "priority"
        let currentUnlimited = !numeric && Self.unlimitedValues.contains(current)
        let wantedUnlimited = !numeric && Self.unlimitedValues.contains(value)
        if useMax {
            if currentUnlimited { return current }
            if wantedUnlimited { return value }
            return String(max(Int(value) ?? 0, Int(current) ?? 0))
        }
        if useMin {
            if currentUnlimited && wantedUnlimited { return current }
            if currentUnlimited { return value }
            if wantedUnlimited { return current }
            return String(min(Int(value) ?? 0, Int(current) ?? 0))
        }
        return value
    }
}
