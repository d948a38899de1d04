import KeelTransport

/// What every git command of one task runs with: the C locale (git's output is parsed), the ssh command
/// git uses for ssh URLs, and the umask new files get. Built the way ansible.builtin.git builds it, with
/// one difference that matters: host key checking is only ever turned off because the task said so, and
/// the result then carries a warning saying so.
public struct GitEnvironment: Sendable, Codable, Equatable {
    /// Options appended to the host's `$GIT_SSH_COMMAND` (or `ssh`).
    public var sshOptions: String
    /// Octal umask for the commands, e.g. "0022".
    public var umask: String?
    /// `executable:`, the git program to run instead of the one in PATH.
    public var gitPath: String?

    public init(sshOptions: String, umask: String?, gitPath: String? = nil) {
        self.sshOptions = sshOptions
        self.umask = umask
        self.gitPath = gitPath
    }

    /// Ansible's order: the user's ssh_opts, the host key choice, BatchMode (git must never prompt), then
    /// the deploy key with IdentitiesOnly (so an agent's keys are not tried first and the server does not
    /// close the connection after too many failures).
    public static func make(keyFile: String?, sshOptions: String?, acceptHostKey: Bool, acceptNewHostKey: Bool,
                            umask: String?, gitPath: String? = nil) -> (GitEnvironment, warnings: [String]) {
        var options = sshOptions ?? ""
        let hostKeyChoices = ["-o StrictHostKeyChecking=no", "-o StrictHostKeyChecking=accept-new"]
        func add(_ option: String) { options += options.isEmpty ? option : " " + option }
        if acceptHostKey, !hostKeyChoices.contains(where: options.contains) { add("-o StrictHostKeyChecking=no") }
        if acceptNewHostKey, !hostKeyChoices.contains(where: options.contains) { add("-o StrictHostKeyChecking=accept-new") }
        if !options.contains("BatchMode=yes") { add("-o BatchMode=yes") }
        if let keyFile {
            let identity = "-i " + ShellQuote.quote(keyFile)
            if !options.contains(identity) { add(identity) }
            if !options.contains("IdentitiesOnly=yes") { add("-o IdentitiesOnly=yes") }
        }
        var warnings: [String] = []
        let compact = options.replacingOccurrences(of: " ", with: "").lowercased()
        if compact.contains("stricthostkeychecking=no") || compact.contains("userknownhostsfile=/dev/null") {
            warnings.append("host key checking is off for this repository (\(acceptHostKey ? "accept_hostkey: true" : "ssh_opts")): "
                            + "a server impersonating it would be trusted; prefer a known_hosts entry or accept_newhostkey")
        }
        return (GitEnvironment(sshOptions: options, umask: umask, gitPath: gitPath), warnings)
    }

    /// Shell lines that set this environment up, to put before the git commands of a script.
    public var prelude: String {
        var lines = ["export LC_ALL=C LANG=C LANGUAGE=C",
                     "GIT_SSH_COMMAND=\"${GIT_SSH_COMMAND:-ssh} \"\(ShellQuote.quote(sshOptions))",
                     "export GIT_SSH_COMMAND",
                     // Never ask for credentials on a terminal that is not there.
                     "export GIT_TERMINAL_PROMPT=0"]
        if let umask { lines.append("umask \(umask)") }
        // A function named git: every command of the scripts then runs the chosen program.
        if let gitPath { lines.append("git() { \(ShellQuote.quote(gitPath)) \"$@\"; }") }
        return lines.joined(separator: "\n") + "\n"
    }
}
