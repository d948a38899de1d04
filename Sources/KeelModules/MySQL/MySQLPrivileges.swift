import Foundation
import KeelBase

/// Privileges as community.mysql writes and reads them: `db.table:PRIV,PRIV/db2.*:ALL` in a task (or a
/// dict of db.table -> privileges), and SHOW GRANTS lines on the server, both turned into
/// `db.table` (names backquoted, `*` bare) -> privilege names, `GRANT` standing for WITH GRANT OPTION.
enum MySQLPrivileges {
    typealias Table = [(object: String, privileges: [String])]

    /// The collection's privileges_unpack: upper-cased names, USAGE on *.* added when *.* is not named.
    static func unpack(_ text: String, ansiQuotes: Bool, ensureUsage: Bool = true) throws -> Table {
        let quote = ansiQuotes ? "\"" : "`"
        var table: Table = []
        for item in text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false) {
            let item = item.trimmingCharacters(in: .whitespaces)
            guard let colon = item.lastIndex(of: ":") else {
                throw KeelError("mysql_user: invalid privileges string: \(item)", expected: "db.table:PRIV[,PRIV...] items joined by /, e.g. app.*:ALL/*.*:PROCESS", found: item)
            }
            var objectParts = splitLast(String(item[..<colon]), on: ".")
            var objectType = ""
            let words = objectParts[0].split(separator: " ", maxSplits: 1).map(String.init)
            if words.count > 1, words[0] == "FUNCTION" || words[0] == "PROCEDURE" {
                objectType = words[0] + " "
                objectParts[0] = words[1]
            }
            objectParts = objectParts.map { side in
                let bare = side.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
                return bare == "*" ? side : quote + bare + quote
            }
            let object = objectType + objectParts.joined(separator: ".")
            let privilegeText = String(item[item.index(after: colon)...])
            guard !privilegeText.contains("(") else {
                throw KeelError("mysql_user: column privileges are not supported by Keel", expected: "table or database privileges", found: privilegeText)
            }
            let privileges = privilegeText.uppercased().split(separator: ",", omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            for privilege in privileges where !valid(privilege) {
                throw KeelError("mysql_user: invalid privileges string: \(privilege)", expected: "privilege names such as SELECT, INSERT, ALL, GRANT", found: privilege)
            }
            if let index = table.firstIndex(where: { $0.object == object }) { table[index].privileges = privileges } else { table.append((object, privileges)) }
        }
        if ensureUsage && !table.contains(where: { $0.object == "*.*" }) { table.append(("*.*", ["USAGE"])) }
        return table
    }

    /// A dict priv (`{"app.*": "ALL"}` or lists) as the collection's convert_priv_dict_to_str.
    static func string(from dict: [(String, Value)]) -> String {
        dict.map { key, value in
            let privileges = value.listValue?.compactMap(\.stringValue).joined(separator: ",") ?? value.stringValue ?? ""
            return "\(key):\(privileges)"
        }.joined(separator: "/")
    }

    /// The collection's privileges_get: each SHOW GRANTS line that grants privileges on an object, role
    /// grants skipped; ALL PRIVILEGES read as ALL.
    static func parse(grants: [String]) throws -> Table {
        let pattern = try NSRegularExpression(pattern: #"^GRANT (.+) ON (.+) TO (['`"]).*\3@(['`"]).*\4( IDENTIFIED BY PASSWORD (['`"]).+\6)? ?(.*)$"#)
        let roleGrant = try NSRegularExpression(pattern: #"^GRANT (.+) TO (['`"]).*|^SET DEFAULT ROLE (.+) FOR (['`"]).*"#)
        var table: Table = []
        for line in grants {
            let range = NSRange(line.startIndex..., in: line)
            guard let match = pattern.firstMatch(in: line, range: range) else {
                if roleGrant.firstMatch(in: line, range: range) != nil { continue }
                throw KeelError("mysql_user: unable to parse the MySQL grant string: \(line)")
            }
            func group(_ i: Int) -> String {
                guard let r = Range(match.range(at: i), in: line) else { return "" }
                return String(line[r])
            }
            var privileges = group(1).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .map { $0 == "ALL PRIVILEGES" ? "ALL" : $0 }
            if group(7).contains("WITH GRANT OPTION") { privileges.append("GRANT") }
            let object = group(2)
            if let index = table.firstIndex(where: { $0.object == object }) { table[index].privileges += privileges } else { table.append((object, privileges)) }
        }
        return table
    }

    static func valid(_ privilege: String) -> Bool {
        !privilege.isEmpty && privilege.allSatisfy { $0.isLetter || $0 == " " || $0 == "_" }
    }

    /// "a.b.c" split at the last dot: ["a.b", "c"] (no dot: [text]).
    static func splitLast(_ text: String, on separator: Character) -> [String] {
        guard let index = text.lastIndex(of: separator) else { return [text] }
        return [String(text[..<index]), String(text[text.index(after: index)...])]
    }

    /// GRANT/REVOKE statements, as the collection's privileges_grant and privileges_revoke build them.
    static func grant(_ privileges: [String], on object: String, to account: String) -> String {
        let names = privileges.filter { $0 != "GRANT" }.joined(separator: ",")
        return "GRANT \(names) ON \(object) TO \(account)" + (privileges.contains("GRANT") ? " WITH GRANT OPTION" : "")
    }

    static func revoke(_ privileges: [String], on object: String, from account: String, grantOption: Bool) -> [String] {
        var statements: [String] = []
        if grantOption { statements.append("REVOKE GRANT OPTION ON \(object) FROM \(account)") }
        let names = privileges.filter { $0 != "GRANT" }.joined(separator: ",")
        if !names.isEmpty && !(grantOption && names == "USAGE") { statements.append("REVOKE \(names) ON \(object) FROM \(account)") }
        statements.append("FLUSH PRIVILEGES")
        return statements
    }
}
