import KeelBase

/// One server as HAProxy's runtime API reports it: administrative state from `show servers state`
/// (what an operator or the configuration set) joined with `show stat` (health status, sessions).
public struct HAProxyServerState: Equatable, Sendable {
    enum Admin: String, Sendable { case ready, drain, maint }

    var backend: String
    var server: String
    /// The srv_admin_state bits: forced/inherited/config/resolver/hostname maintenance (0x01, 0x02, 0x04,
    /// 0x20, 0x40), forced/inherited drain (0x08, 0x10).
    var adminBits: Int
    var userWeight: Int
    var initialWeight: Int
    /// `show stat`'s status: UP, DOWN, MAINT, DRAIN, NOLB, "no check", possibly with a transition ("UP 1/3").
    var status: String
    var currentSessions: Int

    /// Config maintenance (0x04, the `disabled` keyword) is left out: it stays set after `state ready`
    /// while the server is back in rotation (seen on HAProxy 2.6); a disabled server also has 0x01.
    static let maintenanceBits = 0x01 | 0x02 | 0x20 | 0x40
    static let drainBits = 0x08 | 0x10

    var admin: Admin {
        if adminBits & Self.maintenanceBits != 0 { return .maint }
        if adminBits & Self.drainBits != 0 { return .drain }
        return .ready
    }

    /// Parses `show servers state` (format 1: a version line, a `#` header, one line per server) and
    /// `show stat` (CSV with a `# pxname,svname,...` header), matching rows by backend and server name.
    static func parse(serversState: String, stat: String) throws -> [HAProxyServerState] {
        let stateLines = serversState.split(separator: "\n").map(String.init)
        guard let header = stateLines.first(where: { $0.hasPrefix("# ") }) else {
            throw KeelError("unexpected answer to `show servers state`", expected: "a version line and a '# be_id be_name ...' header",
                            found: String(serversState.prefix(200)))
        }
        let stateColumns = header.dropFirst(2).split(separator: " ").map(String.init)
        func column(_ name: String) throws -> Int {
            guard let i = stateColumns.firstIndex(of: name) else { throw KeelError("`show servers state` has no column \(name)") }
            return i
        }
        let (be, sv, adm, uw, iw) = (try column("be_name"), try column("srv_name"), try column("srv_admin_state"),
                                     try column("srv_uweight"), try column("srv_iweight"))
        let statLines = stat.split(separator: "\n").map(String.init)
        guard let statHeader = statLines.first(where: { $0.hasPrefix("# ") }) else {
            throw KeelError("unexpected answer to `show stat`", expected: "CSV with a '# pxname,svname,...' header", found: String(stat.prefix(200)))
        }
        let statColumns = statHeader.dropFirst(2).split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard let px = statColumns.firstIndex(of: "pxname"), let name = statColumns.firstIndex(of: "svname"),
              let scur = statColumns.firstIndex(of: "scur"), let status = statColumns.firstIndex(of: "status") else {
            throw KeelError("`show stat` lacks pxname/svname/scur/status columns", found: statHeader)
        }
        var stats: [String: (status: String, sessions: Int)] = [:]
        for line in statLines where !line.hasPrefix("#") {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard fields.count > max(px, name, scur, status) else { continue }
            stats["\(fields[px])/\(fields[name])"] = (fields[status], Int(fields[scur]) ?? 0)
        }
        return stateLines.filter { !$0.hasPrefix("#") }.compactMap { line in
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > max(be, sv, adm, uw, iw) else { return nil }
            let stat = stats["\(fields[be])/\(fields[sv])"]
            return HAProxyServerState(backend: fields[be], server: fields[sv], adminBits: Int(fields[adm]) ?? 0,
                                      userWeight: Int(fields[uw]) ?? 0, initialWeight: Int(fields[iw]) ?? 0,
                                      status: stat?.status ?? "unknown", currentSessions: stat?.sessions ?? 0)
        }
    }
}
