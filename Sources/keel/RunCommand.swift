import ArgumentParser
import Foundation
import KeelBase
import KeelEngine
import KeelModel
import KeelReport
import KeelTransport

/// `keel run PATTERN -i INVENTORY -a 'uname -a'`: an ad-hoc task on every matching host, as Ansible's
/// `ansible PATTERN -m MODULE -a ARGS`. It is a one-task play run by the engine `keel play` uses (the
/// same connections, become, forks, check mode and outcome rules), printed host by host as each finishes.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a command (or any module with -m) on every host that matches a pattern.",
        discussion: """
            Exit status: 0 when the task succeeded everywhere, 2 when it failed on a host, \
            4 when a host was unreachable, 1 for usage, inventory and argument errors.
            """)

    @Argument(help: "Host pattern, as in Ansible: all, web, 'web:&prod', 'web*', '~web\\d+'.")
    var pattern: String

    @Option(name: [.short, .customLong("inventory")], help: "Inventory file or directory (repeatable).")
    var inventory: [String] = []

    /// Unlike Ansible's `command` default, `-a` alone is a shell command line (pipes, `;`, `$VAR`), as
    /// `keel run` has always taken it; `-m command` gives Ansible's behaviour.
    @Option(name: [.customShort("m"), .customLong("module-name")], help: "The module to run (default: shell, so -a is a shell command line).")
    var module: String = "shell"

    @Option(name: [.customShort("a"), .customLong("args")], help: "The module's arguments: the command line for command and shell, k=v pairs or a JSON mapping for others.")
    var arguments: String = ""

    @Option(name: [.short, .long], help: "Hosts to run on at once (default: ansible.cfg's forks, else 10).")
    var forks: Int?

    @Option(name: [.short, .long], help: "Further limit the selected hosts to this pattern.")
    var limit: String?

    @Option(name: [.short, .customLong("extra-vars")], help: "k=v pairs, a JSON or YAML mapping, or @file (repeatable; highest precedence).")
    var extraVars: [String] = []

    @Option(name: [.customShort("u"), .customLong("user")], help: "Connect as this user (overrides ansible_user).")
    var remoteUser: String?

    @Option(name: .customLong("private-key"), help: "Use this private key file (overrides ansible_ssh_private_key_file).")
    var privateKey: String?

    @Flag(name: [.short, .long], help: "Run the task with become (sudo).")
    var become = false

    @Option(name: .customLong("become-user"), help: "The user to become.")
    var becomeUser: String?

    @Flag(name: [.customShort("K"), .customLong("ask-become-pass")], help: "Ask for the sudo password once.")
    var askBecomePass = false

    @Flag(name: [.customShort("C"), .long], help: "Predict changes without making them.")
    var check = false

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    @Flag(name: [.customShort("D"), .long], help: "Show a unified diff of every change.")
    var diff = false

    @OptionGroup var connectionFlags: ConnectionFlags

    @Option(name: .customLong("host-key-checking"),
            help: "strict (default: refuse unknown and changed keys), accept-new (record keys of new hosts), or off.")
    var hostKeyChecking: String?

    mutating func validate() throws {
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1") }
        if let mode = hostKeyChecking, HostKeyPolicy(sshValue: mode == "strict" ? "yes" : mode) == nil {
            throw ValidationError("--host-key-checking takes strict, accept-new or off, not '\(mode)'")
        }
        if arguments.isEmpty, ["command", "shell", "ansible.builtin.command", "ansible.builtin.shell"].contains(module) {
            throw ValidationError("give the command to run with -a")
        }
    }

    func run() async throws {
        // ansible.cfg and ANSIBLE_* first, then the flags over them: Ansible's precedence.
        let config = try AnsibleConfigLoader.load()
        var options = RunOptions()
        do { try config.apply(to: &options) } catch { throw AnsibleConfigLoader.fail(error) }
        if !inventory.isEmpty { options.inventorySources = inventory }
        guard !options.inventorySources.isEmpty else {
            throw ValidationError("give an inventory with -i or ansible.cfg's inventory (for the lab: -i \(LabDefaults.inventoryHint))")
        }
        if let forks { options.forks = forks }
        options.limit = limit
        options.checkMode = check
        options.diffMode = diff
        if become { options.become = true }
        if let becomeUser { options.becomeUser = becomeUser }
        if let mode = hostKeyChecking { options.hostKeyPolicy = HostKeyPolicy(sshValue: mode == "strict" ? "yes" : mode) }
        connectionFlags.apply(to: &options)
        do {
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            for text in extraVars {
                for (key, value) in try ExtraVars.parse(text) { options.extraVars[key] = value }
            }
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            throw ExitCode(1)
        }
        // -u and --private-key win over the inventory, as they always did for `keel run`: extra vars do.
        if let remoteUser { options.extraVars["ansible_user"] = .string(remoteUser) }
        if let privateKey { options.extraVars["ansible_ssh_private_key_file"] = .string(privateKey) }
        let text: String
        do {
            text = try AdHocPlay(pattern: pattern, module: module, arguments: arguments).playbookText()
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            throw ExitCode(1)
        }
        connectionFlags.askForPassword(into: &options)
        if askBecomePass || config.bool("DEFAULT_BECOME_ASK_PASS") == true { options.becomePassword = PasswordPrompt.read("BECOME password: ") }
        let status = await PlaybookRunner(options: options, sinks: [AdHocReporter()]).run(adHocPlaybook: text, named: AdHocPlay.name)
        switch status {
        case .ok, .drift: return
        default: throw ExitCode(status.rawValue)
        }
    }
}

enum LabDefaults {
    static var inventoryHint: String {
        (ProcessInfo.processInfo.environment["KEEL_LAB_DIR"] ?? "/var/lib/keel/lab") + "/inventory.ini"
    }
}
