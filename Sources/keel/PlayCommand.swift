import ArgumentParser
import Foundation
import KeelBase
import KeelEngine
import KeelModel
import KeelReport
import KeelTransport

/// `keel play site.yml -i inventory`: converge hosts to what the playbooks describe.
struct PlayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "play",
        abstract: "Run playbooks against an inventory.",
        discussion: """
            Everything is parsed and checked before any host is touched. With --check nothing is changed on \
            any host; the run reports what would change, and --diff shows how.

            Exit status: 0 all hosts ok, 2 a task failed on a host, 4 a host was unreachable, 1 usage or \
            parse error, 3 drift with --drift-exit-code, 130 interrupted by SIGINT or SIGTERM (see docs/exit-codes.md).

            Ctrl-C (or SIGTERM) stops the run: no task starts after it, the running remote commands are \
            stopped (their process groups are signalled), and the recap is printed. A second Ctrl-C exits at once.
            """)

    @Argument(help: "Playbook files, run in order.")
    var playbooks: [String]

    @Option(name: [.short, .customLong("inventory")], help: "Inventory file, directory or comma-separated host list (repeatable).")
    var inventory: [String] = []

    @Flag(name: [.customShort("C"), .long], help: "Predict changes without making them.")
    var check = false

    @Flag(name: [.customShort("D"), .long], help: "Show a unified diff of every change.")
    var diff = false

    @Option(name: [.short, .long], help: "Further limit the play's hosts to this pattern.")
    var limit: String?

    @Option(name: [.short, .long], help: "Only run tasks with these tags (comma-separated, repeatable).")
    var tags: [String] = []

    @Option(name: .customLong("skip-tags"), help: "Skip tasks with these tags (comma-separated, repeatable).")
    var skipTags: [String] = []

    @Option(name: [.short, .customLong("extra-vars")], help: "k=v pairs, a JSON or YAML mapping, or @file (repeatable; highest precedence).")
    var extraVars: [String] = []

    @Option(name: [.short, .long], help: "Hosts to work on at once (default: ansible.cfg's forks, else 10).")
    var forks: Int?

    @Flag(name: [.short, .long], help: "Run every play with become (sudo) unless it says otherwise.")
    var become = false

    @Option(name: .customLong("become-user"), help: "The user to become.")
    var becomeUser: String?

    @Flag(name: [.customShort("K"), .customLong("ask-become-pass")], help: "Ask for the sudo password once.")
    var askBecomePass = false

    @Option(name: .customLong("host-key-checking"), help: "strict (default), accept-new, or off.")
    var hostKeyChecking: String?

    @Option(name: .customLong("roles-path"), help: "More directories to find roles in (repeatable).")
    var rolesPath: [String] = []

    @Option(name: .customLong("start-at-task"), help: "Skip every task before the first one with this name (a glob; \"role : name\" works too).")
    var startAtTask: String?

    @Flag(name: .customLong("no-batch"), help: "Take every observation in a round trip of its own instead of batching the next tasks' observations (results are the same; also KEEL_BATCH_OBSERVATIONS=0).")
    var noBatch = false

    @Flag(name: .customLong("drift-exit-code"), help: "Exit with 3 when something changed (with --check: would change) and nothing failed.")
    var driftExitCode = false

    @Option(name: .long, help: ArgumentHelp("human (default), json (one event per line), github (workflow annotations), markdown (a pull-request summary) or junit (JUnit XML), optionally FORMAT=FILE; repeatable, one to stdout. ansible.cfg's stdout_callback picks the stdout one when none is given.", valueName: "format[=file]"))
    var output: [String] = []

    @Flag(name: .short, help: "More output (repeat for more).")
    var verbose: Int

    @Option(name: .customLong("plan-out"), help: ArgumentHelp("With --check: save the plan (every task's planned steps per host, as digests; no contents or secrets) for `keel apply`.", valueName: "file"))
    var planOut: String?

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    // ansible-playbook's options, with its names and meanings.

    @Flag(name: .customLong("syntax-check"), help: "Load and check the inventory and every playbook, role, template and argument, touch no host; exit 0, or 4 with the errors.")
    var syntaxCheck = false

    @Flag(name: .customLong("list-hosts"), help: "List the hosts each play would run on (with --limit), touch no host.")
    var listHosts = false

    @Flag(name: .customLong("list-tasks"), help: "List the tasks each play would run (with --tags/--skip-tags) and their tags, touch no host.")
    var listTasks = false

    @Flag(name: .customLong("list-tags"), help: "List the tags of the tasks each play would run, touch no host.")
    var listTags = false

    @Option(name: [.customShort("u"), .customLong("user")], help: "Connect as this user unless a host's ansible_user or the play's remote_user says otherwise.")
    var remoteUser: String?

    @Option(name: .customLong("private-key"), help: "Use this private key file unless a host's ansible_ssh_private_key_file says otherwise.")
    var privateKey: String?

    @OptionGroup var connectionFlags: ConnectionFlags

    mutating func validate() throws {
        _ = try OutputSelection(output, fallback: nil)
        if planOut != nil && !check { throw ValidationError("--plan-out needs --check: a plan is what a check run predicts") }
        if let forks, forks < 1 { throw ValidationError("--forks must be at least 1") }
    }

    func run() async throws {
        // ansible.cfg and ANSIBLE_* first, then the flags over them: Ansible's precedence.
        let config = try AnsibleConfigLoader.load()
        var options = RunOptions()
        do { try config.apply(to: &options) } catch { throw AnsibleConfigLoader.fail(error) }
        if !inventory.isEmpty { options.inventorySources = inventory }
        options.checkMode = check
        options.diffMode = diff
        options.limit = limit
        options.tags = tags.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        options.skipTags = skipTags.flatMap { $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) } }
        if let forks { options.forks = forks }
        if become { options.become = true }
        if let becomeUser { options.becomeUser = becomeUser }
        options.rolesPath = rolesPath + options.rolesPath
        options.verbosity = verbose
        options.startAtTask = startAtTask
        options.driftExitCode = driftExitCode
        if noBatch { options.batchObservations = false }
        if let remoteUser { options.remoteUser = remoteUser }
        if let privateKey { options.privateKeyFile = privateKey }
        connectionFlags.apply(to: &options)
        if let mode = hostKeyChecking {
            guard let policy = HostKeyPolicy(sshValue: mode == "strict" ? "yes" : mode) else {
                throw ValidationError("--host-key-checking takes strict, accept-new or off, not '\(mode)'")
            }
            options.hostKeyPolicy = policy
        }
        do {
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            for text in extraVars {
                for (key, value) in try ExtraVars.parse(text) { options.extraVars[key] = value }
            }
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            throw ExitCode(1)
        }
        if syntaxCheck || listHosts || listTasks || listTags {
            try inspectOnly(options)
            return
        }
        connectionFlags.askForPassword(into: &options)
        if askBecomePass || config.bool("DEFAULT_BECOME_ASK_PASS") == true { options.becomePassword = PasswordPrompt.read("BECOME password: ") }
        let outputs = try OutputSelection(output, fallback: config.string("DEFAULT_STDOUT_CALLBACK").flatMap(AnsibleConfig.output(forCallback:)))
        let ledger = planOut.map { _ in PlanLedger() }
        options.planLedger = ledger
        var sinks = try outputs.sinks(verbosity: verbose, showDiffs: diff)
        if let history = HistoryRecording.recorder(playbooks: playbooks, options: options) { sinks.append(history) }
        let runner = PlaybookRunner(options: options, sinks: sinks)
        let playbooks = self.playbooks
        let run = _Concurrency.Task { await runner.run(playbooks) }
        let signals = InterruptHandler { run.cancel() }
        let status = await run.value
        signals.stop()
        if let planOut, let ledger, status != .usageOrParseError, status != .interrupted {
            try SavedPlan(options: options, playbooks: playbooks, hosts: ledger.tasks).write(to: planOut)
            FileHandle.standardError.write(Data("plan saved to \(planOut): apply it with `keel apply \(planOut)`\n".utf8))
        }
        if status != .ok { throw ExitCode(status.rawValue) }
    }

    /// --syntax-check and --list-*: load everything as a run would, print, and touch no host.
    private func inspectOnly(_ options: RunOptions) throws {
        let runner = PlaybookRunner(options: options, sinks: [])
        do {
            let (inventory, playbooks, _, _) = try runner.load(self.playbooks)
            if syntaxCheck {
                for problem in try runner.deferredProblems(self.playbooks) {
                    FileHandle.standardError.write(Data("warning: \(problem.description)\n  (an error only if it runs)\n".utf8))
                }
                print(playbooks.map { "\nplaybook: \($0.path)" }.joined(separator: "\n"))
                return
            }
            let listing = PlaybookListing(hosts: listHosts, tasks: listTasks, tags: listTags)
            print(try listing.text(playbooks, inventory: inventory, options: options), terminator: "")
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            // ansible-playbook's status for a playbook that does not parse.
            throw ExitCode(syntaxCheck ? 4 : PlaybookRunner.ExitStatus.usageOrParseError.rawValue)
        }
    }
}
