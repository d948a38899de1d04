import Foundation
import KeelBase
import OrderedCollections

/// One postgresql_query run through psql: the script that executes each query (after describing its
/// result columns with \gdesc, so values get the types psycopg2 would give them), and the parser that
/// turns psql's csv output back into query_result, rowcount and statusmessage.
struct QueryRun: Sendable, Codable, Equatable {
    /// The queries with their arguments bound.
    var queries: [String]
    var autocommit: Bool
    var searchPath: [String]?
    var encoding: String?
    /// Random text that marks psql's output sections and NULL values.
    var token: String

    static func makeToken() -> String { "keel" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }

    var flags: [String] { ["-P", "format=csv", "-P", "null=\(token)null"] }

    /// commit: end with COMMIT (else ROLLBACK, the dry run). Ignored with autocommit.
    func script(commit: Bool) throws -> String {
        var sql = autocommit ? "" : "BEGIN;\n"
        if let encoding { sql += "SET client_encoding TO \(try SQLQuote.literal(encoding));\n" }
        if let searchPath, !searchPath.isEmpty {
            sql += "SET search_path TO " + (try searchPath.map { try SQLQuote.identifier($0.trimmingCharacters(in: .whitespaces)) }.joined(separator: ",")) + ";\n"
        }
        for (index, query) in queries.enumerated() {
            let body = Self.withoutTrailingSemicolons(query)
            // \gdesc describes the last statement only, and psql runs the ones before it: a text with several
            // statements is not described (its values stay text) rather than run one time too many.
            if !body.contains(";") {
                if !autocommit { sql += "SAVEPOINT keel_describe;\n" }
                sql += "\\set ON_ERROR_STOP 0\n\\echo \(token) desc \(index)\n\(body)\n\\gdesc\n\\echo \(token) enddesc \(index)\n\\set ON_ERROR_STOP 1\n"
                if !autocommit { sql += "ROLLBACK TO SAVEPOINT keel_describe;\n" }
            }
            sql += "\\echo \(token) rows \(index)\n\(body)\n;\n\\echo \(token) end \(index) :ROW_COUNT\n"
        }
        if !autocommit { sql += commit ? "COMMIT;\n" : "ROLLBACK;\n" }
        return sql
    }

    static func withoutTrailingSemicolons(_ query: String) -> String {
        var text = Substring(query)
        while let last = text.last, last == ";" || last.isWhitespace { text = text.dropLast() }
        return String(text)
    }

    struct Outcome: Equatable {
        var rows: [OrderedDictionary<String, Value>]
        var statusMessage: String
        var rowCount: Int
    }

    func parse(_ output: String) -> [Outcome] {
        var sections: [String: [String]] = [:]
        var current: String?
        var rowCounts: [Int: Int] = [:]
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix(token + " ") {
                let parts = line.split(separator: " ")
                if parts.count >= 3 {
                    switch parts[1] {
                    case "desc", "rows": current = "\(parts[1]) \(parts[2])"; sections[current!] = []
                    case "end": current = nil; rowCounts[Int(parts[2]) ?? -1] = parts.count > 3 ? Int(parts[3]) ?? 0 : 0
                    default: current = nil
                    }
                }
                continue
            }
            if let current { sections[current, default: []].append(String(line)) }
        }
        return queries.indices.map { index in
            let desc = CSVRecords.parse((sections["desc \(index)"] ?? []).joined(separator: "\n"))
            let rowsText = (sections["rows \(index)"] ?? []).joined(separator: "\n")
            return outcome(query: queries[index], describe: desc, rows: CSVRecords.parse(rowsText), rowCount: rowCounts[index] ?? 0)
        }
    }

    private static let tagPattern = #"^[A-Z]+( [A-Z]+)*( [0-9]+)*$"#

    func outcome(query: String, describe: [[String]], rows records: [[String]], rowCount: Int) -> Outcome {
        let firstWord = query.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: { $0.isWhitespace || $0 == "(" }).first.map { $0.uppercased() } ?? ""
        let isTag = { (record: [String]) in record.count == 1 && record[0].range(of: Self.tagPattern, options: .regularExpression) != nil }
        var columns: [(name: String, type: String)]?
        if let header = describe.firstIndex(where: { $0 == ["Column", "Type"] }) {
            columns = describe[(header + 1)...].filter { $0.count == 2 }.map { ($0[0], $0[1]) }
        } else if describe.contains(where: { $0.first?.hasPrefix("The command has no result") == true }) {
            columns = []
        }
        var tag: String?
        var rows: [OrderedDictionary<String, Value>] = []
        if let columns, columns.isEmpty {
            tag = records.last(where: isTag)?.first
        } else {
            var body = records[...]
            if columns == nil {
                // Not described: the status lines of earlier statements (or of the only one) come first.
                while let first = body.first, isTag(first) { tag = first.first; body = body.dropFirst() }
                if !body.isEmpty { tag = nil }
            }
            if let header = body.first {
                let names = header
                let types = columns?.map(\.type) ?? Array(repeating: "text", count: names.count)
                let data = body.dropFirst()
                let tupleCount = columns == nil ? data.count : min(rowCount, data.count)
                for record in data.prefix(tupleCount) {
                    var row: OrderedDictionary<String, Value> = [:]
                    for (i, name) in names.enumerated() { row[name] = convert(i < record.count ? record[i] : "", type: i < types.count ? types[i] : "text") }
                    rows.append(row)
                }
                if let last = data.dropFirst(tupleCount).last, isTag(last) { tag = last.first }
            }
        }
        let status = tag ?? (firstWord == "SHOW" ? "SHOW" : "SELECT \(rows.count)")
        return Outcome(rows: rows, statusMessage: status, rowCount: rowCount)
    }

    /// A csv field as the value psycopg2 returns for the column's type (numeric becomes a float, as the
    /// collection converts Decimal; json is parsed).
    func convert(_ text: String, type: String) -> Value {
        if text == token + "null" { return .null }
        let base = type.split(separator: "(").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? type
        switch base {
        case "smallint", "integer", "bigint", "oid": return Int(text).map(Value.int) ?? .string(text)
        case "numeric", "real", "double precision": return Double(text).map(Value.double) ?? .string(text)
        case "boolean": return text == "t" ? .bool(true) : text == "f" ? .bool(false) : .string(text)
        case "json", "jsonb": return (try? Value.parseJSON(text)) ?? .string(text)
        default: return .string(text)
        }
    }

    /// The collection's rule: a statement changed something unless it is a SELECT or SHOW, or an
    /// UPDATE/INSERT/DELETE that touched no row.
    static func changes(_ status: String) -> Bool {
        if status.contains("SELECT") || status.contains("SHOW") { return false }
        guard status.range(of: "(UPDATE|INSERT|DELETE)", options: .regularExpression) != nil else { return true }
        let words = status.split(separator: " ")
        if words.count == 3 { return words[2] != "0" }
        if words.count == 2 { return words[1] != "0" }
        return true
    }
}
