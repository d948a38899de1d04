import ArgumentParser
import Foundation
import KeelBase
import KeelModel
import KeelTransport

/// `keel run PATTERN -i INVENTORY -a 'uname -a'`: an ad-hoc command on every matching host, in parallel,
/// printed as each host finishes (Ansible's `ansible PATTERN -a` shape).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a shell command on every host that matches a pattern.",
        discussion: """
            Exit status: 0 when the command succeeded everywhere, 2 when it failed on a host, \
            4 when a host was unreachable, 1 for usage and inventory errors.
            """)

    @Argument(help: "Host pattern, as in Ansible: all, web, 'web:&prod', 'web*', '~web\\d+'.")
    var pattern: String

    @Option(name: [.short, .customLong("inventory")], help: "Inventory file or directory (repeatable).")
    var inventory: [String] = []

    @Option(name: [.customShort("a"), .customLong("args")], help: "The shell command to run.")
    var command: String

    @Option(name: [.short, .long], help: "Hosts to run on at once.")
    var forks: Int = 10

    @Option(name: [.short, .long], help: "Further limit the selected hosts to this pattern.")
    var limit: String?

    @Option(name: [.customShort("u"), .customLong("user")], help: "Connect as this user (overrides ansible_user).")
    var remoteUser: String?

    @Option(name: .customLong("private-key"), help: "Use this private key file (overrides ansible_ssh_private_key_file).")
    var privateKey: String?

    @Flag(name: [.short, .long], help: "Run the command through sudo.")
    var become = false

    @Option(name: .customLong("become-user"), help: "The user to become.")
    var becomeUser: String = "root"

    @Flag(name: [.customShort("K"), .customLong("ask-become-pass")], help: "Ask for the sudo password once.")
    var askBecomePass = false

    @Option(name: .customLong("host-key-checking"),
            help: "strict (default: refuse unknown and changed keys), accept-new (record keys of new hosts), or off.")
    var hostKeyChecking: String?

    mutating func validate() throws {
        if inventory.isEmpty { throw ValidationError("give an inventory with -i (for the lab: -i \(LabDefaults.inventoryHint))") }
        if forks < 1 { throw ValidationError("--forks must be at least 1") }
        if let mode = hostKeyChecking, HostKeyPolicy(sshValue: mode == "strict" ? "yes" : mode) == nil {
            throw ValidationError("--host-key-checking takes strict, accept-new or off, not '\(mode)'")
        }
    }

    func run() async throws {
        let inventory: Inventory
        let hosts: [String]
        do {
            inventory = try Inventory.load(sources: self.inventory)
            hosts = try inventory.select(pattern: pattern, limit: limit)
        } catch let error as KeelError {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        guard !hosts.isEmpty else {
            FileHandle.standardError.write(Data("warning: no hosts matched '\(pattern)'\n".utf8))
            return
        }
        let becomePassword = askBecomePass ? PasswordPrompt.read("BECOME password: ") : nil
        let policy = hostKeyChecking.flatMap { HostKeyPolicy(sshValue: $0 == "strict" ? "yes" : $0) }
        let printer = HostOutputPrinter()
        let command = self.command, become = self.become ? Become(user: becomeUser) : nil
        let remoteUser = self.remoteUser, privateKey = self.privateKey

        let outcomes = await concurrentMap(hosts, limit: forks) { host -> AdHocOutcome in
            var variables = inventory.hostVariables(host)
            if let remoteUser { variables["ansible_user"] = .string(remoteUser) }
            if let privateKey { variables["ansible_ssh_private_key_file"] = .string(privateKey) }
            if let becomePassword { variables["ansible_become_password"] = .string(becomePassword) }
            let outcome: AdHocOutcome
            do {
                let settings = try HostConnectionSettings(hostName: host, variables: variables, defaultPolicy: policy)
                outcome = await AdHocOutcome.run(command, on: host, settings: settings, become: become)
            } catch {
                outcome = .failed(host: host, message: "\(error)")
            }
            await printer.print(outcome)
            return outcome
        }
        if outcomes.contains(where: \.isUnreachable) { throw ExitCode(4) }
        if outcomes.contains(where: \.isFailure) { throw ExitCode(2) }
    }
}

/// What happened on one host.
enum AdHocOutcome: Sendable {
    case finished(host: String, result: CommandResult)
    case unreachable(host: String, message: String)
    case failed(host: String, message: String)

    static func run(_ command: String, on host: String, settings: HostConnectionSettings, become: Become?) async -> AdHocOutcome {
        let connection: any Connection
        do {
            connection = try await settings.connect()
        } catch {
            return .unreachable(host: host, message: "\(error)")
        }
        let outcome: AdHocOutcome
        do {
            outcome = .finished(host: host, result: try await connection.run(command, stdin: nil, become: become))
        } catch let error as TransportError where error.isUnreachable {
            outcome = .unreachable(host: host, message: "\(error)")
        } catch {
            outcome = .failed(host: host, message: "\(error)")
        }
        // Closed before returning: the process may exit right after, and libssh2 must not be mid-teardown then.
        await connection.close()
        return outcome
    }

    var isUnreachable: Bool { if case .unreachable = self { return true }; return false }
    var isFailure: Bool {
        switch self {
        case .finished(_, let result): return result.status != 0
        case .failed: return true
        case .unreachable: return false
        }
    }
}

/// Prints each host's block whole, so parallel hosts never interleave their lines.
actor HostOutputPrinter {
    func print(_ outcome: AdHocOutcome) {
        var text: String
        switch outcome {
        case .finished(let host, let result):
            let status = result.status == 0 ? "CHANGED" : "FAILED"
            text = "\(host) | \(status) | rc=\(result.status) >>\n"
            text += result.stdoutText
            if !result.stderrText.isEmpty {
                if !text.hasSuffix("\n") { text += "\n" }
                text += result.stderrText
            }
        case .unreachable(let host, let message):
            text = "\(host) | UNREACHABLE! => \(message)\n"
        case .failed(let host, let message):
            text = "\(host) | FAILED! => \(message)\n"
        }
        if !text.hasSuffix("\n") { text += "\n" }
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}

enum LabDefaults {
    static var inventoryHint: String {
        (ProcessInfo.processInfo.environment["KEEL_LAB_DIR"] ?? "/var/lib/keel/lab") + "/inventory.ini"
    }
}
