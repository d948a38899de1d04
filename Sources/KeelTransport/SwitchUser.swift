/// Become through `su`, as Ansible's su plugin runs it: `su [flags] USER -c COMMAND`, the command run by
/// the target user's login shell (so, as under Ansible, a user whose shell is nologin cannot be become).
/// su reads a password only from a terminal, and Keel's transport opens none, so su works where it asks
/// for none: from a root login (or to the login user itself). Anything else is refused before it runs,
/// saying so, instead of hanging on a prompt nobody sees.
enum SwitchUser {
    static func command(_ script: String, become: Become, loginUser: String, hostName: String) throws -> String {
        let inner = "/bin/sh -c " + ShellQuote.quote(script)
        if become.user == loginUser { return inner }
        guard loginUser == "root" else {
            throw TransportError.becomeFailed(host: hostName, detail:
                "become_method su works only when logging in as root: su asks '\(loginUser)' for a password on a terminal, which Keel does not open (use sudo)")
        }
        let exe = become.exe.map { $0.isEmpty ? "su" : $0 } ?? "su"
        let flags = become.flags.map { $0.isEmpty ? "" : $0 + " " } ?? ""
        return "\(exe) \(flags)\(ShellQuote.quote(become.user)) -c \(ShellQuote.quote(inner))"
    }
}
