import Foundation
import KeelBase
import KeelTransport

/// The host's user and group database as `getent` reports it (local files, LDAP, ...), read by short
/// sh snippets whose output is `key=value` lines, so several lookups fit one round trip.
enum AccountDatabase {
    /// A passwd entry split into its seven fields.
    struct Passwd: Equatable, Sendable {
        var name: String, uid: Int, gid: Int, comment: String, home: String, shell: String

        init?(_ line: String) {
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 7, let uid = Int(f[2]), let gid = Int(f[3]) else { return nil }
            (name, self.uid, self.gid, comment, home, shell) = (f[0], uid, gid, f[4], f[5], f[6])
        }
    }

    /// A group entry: name, gid and explicit members.
    struct Group: Equatable, Sendable {
        var name: String, gid: Int, members: [String]

        init?(_ line: String) {
            let f = line.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4, let gid = Int(f[2]) else { return nil }
            (name, self.gid) = (f[0], gid)
            members = f[3].split(separator: ",").map(String.init)
        }
    }

    /// Prints `KEY=<getent group line>` for a group given by name or gid (nothing after = when missing).
    static func groupLookup(_ group: String, key: String) -> String {
        "printf '%s=%s\\n' \(ShellQuote.quote(key)) \"$(getent group \(ShellQuote.quote(group)) 2>/dev/null | head -n 1)\""
    }

    /// Splits `key=value` lines; repeated keys keep every value in order.
    static func fields(_ text: String) -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            guard let equals = line.firstIndex(of: "=") else { continue }
            result[String(line[..<equals]), default: []].append(String(line[line.index(after: equals)...]))
        }
        return result
    }
}
