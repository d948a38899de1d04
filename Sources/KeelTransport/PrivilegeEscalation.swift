import Foundation

/// Something that can run a command line as-is (no /bin/sh -c wrapping added).
protocol RawCommandRunner: Sendable {
    func runRaw(_ command: String, stdin: Data?) async throws -> CommandResult
}

/// Become through sudo. The password reaches sudo on its standard input (`sudo -S`), never in argv or
/// the environment, so it cannot show up in a process list. Whether sudo wants a password is probed once
/// per connection, and a given password is checked once, so a wrong one fails clearly instead of being
/// fed to a command as input.
actor PrivilegeEscalation {
    enum Mode { case notNeeded, noPassword, password }

    let hostName: String
    let loginUser: String
    private let password: String?
    private var modes: [String: Mode] = [:]

    init(hostName: String, loginUser: String, password: String?) {
        self.hostName = hostName
        self.loginUser = loginUser
        self.password = password
    }

    /// The command line to execute and the stdin to give it.
    func wrap(_ script: String, stdin: Data?, become: Become, using runner: some RawCommandRunner) async throws -> (String, Data?) {
        guard become.method == "sudo" else {
            throw TransportError.becomeFailed(host: hostName, detail: "become_method '\(become.method)' is not supported (only sudo)")
        }
        let inner = "/bin/sh -c " + ShellQuote.quote(script)
        switch try await mode(for: become.user, runner: runner) {
        case .notNeeded:
            return (inner, stdin)
        case .noPassword:
            return ("sudo -H -n -u \(ShellQuote.quote(become.user)) -- \(inner)", stdin)
        case .password:
            // -k: never rely on a cached ticket, so the password line is always consumed by sudo itself.
            var input = Data((password ?? "").utf8)
            input.append(0x0A)
            if let stdin { input.append(stdin) }
            return ("sudo -H -S -k -p '' -u \(ShellQuote.quote(become.user)) -- \(inner)", input)
        }
    }

    private func mode(for user: String, runner: some RawCommandRunner) async throws -> Mode {
        if let known = modes[user] { return known }
        let mode: Mode
        if user == loginUser {
            mode = .notNeeded
        } else if try await runner.runRaw("sudo -n -u \(ShellQuote.quote(user)) -- true", stdin: nil).status == 0 {
            mode = .noPassword
        } else {
            guard let password else {
                throw TransportError.becomeFailed(host: hostName,
                    detail: "sudo asks for a password and none was given (use --ask-become-pass or ansible_become_password)")
            }
            let check = try await runner.runRaw("sudo -S -k -p '' -v", stdin: Data((password + "\n").utf8))
            guard check.status == 0 else {
                let reason = check.stderrText.contains("not in the sudoers") ? "user '\(loginUser)' may not use sudo"
                    : "incorrect sudo password"
                throw TransportError.becomeFailed(host: hostName, detail: reason)
            }
            mode = .password
        }
        modes[user] = mode
        return mode
    }
}
