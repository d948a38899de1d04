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
    private var modes: [Become: Mode] = [:]

    init(hostName: String, loginUser: String, password: String?) {
        self.hostName = hostName
        self.loginUser = loginUser
        self.password = password
    }

    /// The command line to execute and the stdin to give it.
    func wrap(_ script: String, stdin: Data?, become: Become, using runner: some RawCommandRunner) async throws -> (String, Data?) {
        if become.method == "su" {
            return (try SwitchUser.command(script, become: become, loginUser: loginUser, hostName: hostName), stdin)
        }
        guard become.method == "sudo" else {
            throw TransportError.becomeFailed(host: hostName, detail: "become_method '\(become.method)' is not supported (sudo or su)")
        }
        let inner = "/bin/sh -c " + ShellQuote.quote(script)
        let sudo = PrivilegeEscalation.command(become)
        switch try await mode(for: become, runner: runner) {
        case .notNeeded:
            return (inner, stdin)
        case .noPassword:
            return ("\(sudo) -n -u \(ShellQuote.quote(become.user)) -- \(inner)", stdin)
        case .password:
            // -k: never rely on a cached ticket, so the password line is always consumed by sudo itself.
            var input = Data((password ?? "").utf8)
            input.append(0x0A)
            if let stdin { input.append(stdin) }
            return ("\(sudo) -S -k -p '' -u \(ShellQuote.quote(become.user)) -- \(inner)", input)
        }
    }

    /// become_exe (default sudo) and become_flags (default -H), as written: flags are shell words the
    /// user chose, as in Ansible, so they are not quoted.
    static func command(_ become: Become) -> String {
        let exe = become.exe.map { $0.isEmpty ? "sudo" : $0 } ?? "sudo"
        return "\(exe) \(become.flags ?? "-H")"
    }

    /// What sudo's refusal says, in words that name the cause; nil when it only wants a password.
    static func refusal(_ stderr: String, user: String, loginUser: String, exe: String) -> String? {
        let text = stderr.lowercased()
        if text.contains("unknown user") || text.contains("unknown login") {
            return "the user '\(user)' to become does not exist on the host (sudo: \(stderr.trimmingCharacters(in: .whitespacesAndNewlines)))"
        }
        if text.contains("not in the sudoers") || text.contains("not allowed to execute") || text.contains("may not run sudo") {
            return "user '\(loginUser)' may not use sudo to become '\(user)'"
        }
        if text.contains("not found") && !text.contains("password") {
            return "'\(exe)' was not found on the host"
        }
        if text.contains("password") { return nil }
        let said = stderr.trimmingCharacters(in: .whitespacesAndNewlines)
        return said.isEmpty ? nil : "sudo refused: \(said)"
    }

    private func mode(for become: Become, runner: some RawCommandRunner) async throws -> Mode {
        if let known = modes[become] { return known }
        let user = become.user
        let sudo = PrivilegeEscalation.command(become)
        let mode: Mode
        if user == loginUser {
            mode = .notNeeded
        } else {
            let probe = try await runner.runRaw("\(sudo) -n -u \(ShellQuote.quote(user)) -- true", stdin: nil)
            if probe.status == 0 {
                mode = .noPassword
            } else {
                // sudo -n fails for more reasons than a password: say which one it gave.
                if let reason = PrivilegeEscalation.refusal(probe.stderrText, user: user, loginUser: loginUser, exe: become.exe ?? "sudo") {
                    throw TransportError.becomeFailed(host: hostName, detail: reason)
                }
                guard let password else {
                    throw TransportError.becomeFailed(host: hostName,
                        detail: "sudo asks for a password and none was given (use --ask-become-pass or ansible_become_password)")
                }
                // -v takes no other options (sudo refuses -H with it): only the program.
                let exe = become.exe.map { $0.isEmpty ? "sudo" : $0 } ?? "sudo"
                let check = try await runner.runRaw("\(exe) -S -k -p '' -v", stdin: Data((password + "\n").utf8))
                guard check.status == 0 else {
                    let reason = check.stderrText.contains("not in the sudoers") ? "user '\(loginUser)' may not use sudo"
                        : "incorrect sudo password"
                    throw TransportError.becomeFailed(host: hostName, detail: reason)
                }
                mode = .password
            }
        }
        modes[become] = mode
        return mode
    }
}
