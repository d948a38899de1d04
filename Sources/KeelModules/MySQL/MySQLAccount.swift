import Crypto
import Foundation
import KeelBase

/// One account as the server has it: what mysql_user compares (the stored password hash, the
/// authentication plugin and its string, the privileges from SHOW GRANTS).
struct MySQLAccount: Sendable, Equatable {
    var host: String
    var passwordHash: String = ""
    var plugin: String = ""
    var authenticationString: String = ""
    var grants: [String] = []

    /// mysql_native_password's hash of a clear-text password, computed on the controller:
    /// `*` and the upper-case hex of SHA1(SHA1(password)), what the collection asks the server for.
    static func nativeHash(_ password: String) -> String {
        let inner = Insecure.SHA1.hash(data: Data(password.utf8))
        let outer = Insecure.SHA1.hash(data: Data(inner))
        return "*" + outer.map { String(format: "%02X", $0) }.joined()
    }

    /// The collection's is_hash: `*` and 40 hex digits.
    static func isHash(_ text: String) -> Bool {
        text.count == 41 && text.hasPrefix("*") && text.dropFirst().allSatisfy(\.isHexDigit)
    }

    /// SQL printing each account's lines for `parse`: `account:`, `hash:`, `plugin:`, `auth:`, then its
    /// SHOW GRANTS lines. `passwordColumns` are the mysql.user columns that hold hashes, as the collection
    /// picks them (Password before authentication_string).
    static func observationSQL(user: String, hosts: [String], passwordColumns: [String]) throws -> String {
        let columns = passwordColumns.sorted { $0.lowercased() > $1.lowercased() }
        let hash = columns.isEmpty ? "''" : "COALESCE(" + columns.map { "NULLIF(`\($0)`, '')" }.joined(separator: ", ") + ", '')"
        var sql = ""
        for host in hosts {
            let condition = "User = \(try MySQLQuote.literal(user)) AND Host = \(try MySQLQuote.literal(host))"
            sql += "SELECT CONCAT('account:', \(try MySQLQuote.literal(host)));\n"
            sql += "SELECT CONCAT('hash:', \(hash)), CONCAT('plugin:', COALESCE(plugin, '')), CONCAT('auth:', COALESCE(authentication_string, '')) FROM mysql.user WHERE \(condition);\n"
            sql += "SHOW GRANTS FOR \(try MySQLQuote.account(user, host));\n"
        }
        return sql
    }

    /// Reads what `observationSQL` printed (the hash, plugin and auth fields share one tab-separated line).
    static func parse(_ lines: [String]) -> [MySQLAccount] {
        var accounts: [MySQLAccount] = []
        for line in lines {
            if line.hasPrefix("account:") {
                accounts.append(MySQLAccount(host: String(line.dropFirst(8))))
            } else if line.hasPrefix("hash:"), !accounts.isEmpty {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                for field in fields {
                    if field.hasPrefix("hash:") { accounts[accounts.count - 1].passwordHash = String(field.dropFirst(5)) }
                    if field.hasPrefix("plugin:") { accounts[accounts.count - 1].plugin = String(field.dropFirst(7)) }
                    if field.hasPrefix("auth:") { accounts[accounts.count - 1].authenticationString = String(field.dropFirst(5)) }
                }
            } else if !accounts.isEmpty {
                accounts[accounts.count - 1].grants.append(line)
            }
        }
        return accounts
    }
}
