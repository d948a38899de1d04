/// RFC 4180 records as psql's csv format writes them: fields separated by commas, quoted with double
/// quotes when they hold a comma, a quote or a line break (quotes doubled inside).
enum CSVRecords {
    /// Each record with, per field, its text and whether it was quoted.
    static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var started = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            started = true
            if quoted {
                if c == "\"" {
                    if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": fields.append(field); field = ""
            case "\n":
                fields.append(field); records.append(fields); fields = []; field = ""; started = false
            case "\r": continue
            default: field.append(c)
            }
        }
        if started { fields.append(field); records.append(fields) }
        return records
    }
}
