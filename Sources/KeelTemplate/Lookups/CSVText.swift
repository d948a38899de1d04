/// Python's `csv.reader` with the excel dialect: quoted fields may hold delimiters, doubled quotes and
/// newlines.
enum CSVText {
    static func rows(_ text: String, delimiter: Character) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false, wasQuoted = false, atFieldStart = true
        var chars = Array(text)
        if chars.last != "\n" { chars.append("\n") }
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" && atFieldStart {
                quoted = true; wasQuoted = true; atFieldStart = false
            } else if c == delimiter {
                row.append(field); field = ""; atFieldStart = true; wasQuoted = false
            } else if c == "\n" || c == "\r" || c == "\r\n" {
                if !(row.isEmpty && field.isEmpty && !wasQuoted) { row.append(field) }
                rows.append(row); row = []; field = ""; atFieldStart = true; wasQuoted = false
            } else {
                field.append(c); atFieldStart = false
            }
            i += 1
        }
        return rows
    }
}
