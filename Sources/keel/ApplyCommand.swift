import ArgumentParser
import Foundation
import KeelBase
import KeelEngine
import KeelModel
import KeelReport

/// `keel apply plan.json`: Terraform's plan/apply for playbooks. First a check run proves, host by
/// host, that every task still plans exactly the steps that were reviewed (same tasks, same order, same
/// digests); a host where anything differs is refused before anything on it changes, the others go on.
/// Then the real run applies, and every module's plan is approved again against the saved digest just
/// before it is applied, so a host that changes during the run stops at that task, with nothing of it applied.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a plan saved by `keel play --check --plan-out`, refusing hosts that changed since.",
        discussion: """
        The plan names the playbooks, inventory, limit, tags and become settings; give again the extra
        variables (-e) and vault passwords it was made with, and the connection options. Exit status: 0 applied,
        2 a host was refused or a task failed, 4 a host unreachable, 1 the plan cannot be read.
        """)

    @Argument(help: "The plan file.")
    var plan: String

    @Option(name: [.short, .customLong("extra-vars")], help: "k=v pairs, a JSON or YAML mapping, or @file (repeatable): the ones the plan was made with.")
    var extraVars: [String] = []

    @Option(name: [.short, .long], help: "Hosts to work on at once (default: ansible.cfg's forks, else 10).")
    var forks: Int?

    @Flag(name: [.customShort("K"), .customLong("ask-become-pass")], help: "Ask for the sudo password once.")
    var askBecomePass = false

    @Option(name: [.customShort("u"), .customLong("user")], help: "Connect as this user unless a host's ansible_user or the play's remote_user says otherwise.")
    var remoteUser: String?

    @Option(name: .customLong("private-key"), help: "Use this private key file unless a host's ansible_ssh_private_key_file says otherwise.")
    var privateKey: String?

    @Flag(name: .customLong("diff"), help: "Show the changes as unified diffs.")
    var diff = false

    @Option(name: .long, help: ArgumentHelp("As for keel play: human, json, github, markdown or junit, optionally FORMAT=FILE; repeatable.", valueName: "format[=file]"))
    var output: [String] = []

    @Flag(name: .short, help: "More output (repeat for more).")
    var verbose: Int

    @OptionGroup var connectionFlags: ConnectionFlags

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    func validate() throws {
        _ = try OutputSelection(output, fallback: nil)
    }

    func run() async throws {
        let saved: SavedPlan
        var options = RunOptions()
        let config = try AnsibleConfigLoader.load()
        do {
            saved = try SavedPlan.read(plan)
            try config.apply(to: &options)
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            for text in extraVars {
                for (key, value) in try ExtraVars.parse(text) { options.extraVars[key] = value }
            }
            let missing = saved.extraVarNames.filter { options.extraVars[$0] == nil }
            if !missing.isEmpty {
                throw KeelError("the plan was made with extra variables that are not given now: \(missing.joined(separator: ", "))",
                                expected: "the same -e options as the check run that made the plan")
            }
        } catch {
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            throw ExitCode(1)
        }
        options.inventorySources = saved.inventory
        options.limit = saved.limit
        options.tags = saved.tags
        options.skipTags = saved.skipTags
        options.become = saved.become
        options.becomeUser = saved.becomeUser
        options.verbosity = verbose
        if let forks { options.forks = forks }
        if let remoteUser { options.remoteUser = remoteUser }
        if let privateKey { options.privateKeyFile = privateKey }
        connectionFlags.apply(to: &options)
        connectionFlags.askForPassword(into: &options)
        if askBecomePass || config.bool("DEFAULT_BECOME_ASK_PASS") == true { options.becomePassword = PasswordPrompt.read("BECOME password: ") }

        // 1. Verify: a check run that records what every host would do now, compared with the plan.
        var verify = options
        verify.checkMode = true
        let observed = PlanLedger()
        verify.planLedger = observed
        let recap = RecapCollector()
        FileHandle.standardError.write(Data("verifying the plan made \(saved.created) on \(saved.hosts.count) host\(saved.hosts.count == 1 ? "" : "s") (check mode)\n".utf8))
        let verification = await PlaybookRunner(options: verify, sinks: [recap]).run(saved.playbooks)
        if verification == .usageOrParseError || verification == .interrupted { throw ExitCode(verification.rawValue) }
        let trouble = await recap.troubledHosts
        var accepted: [String] = []
        var refused = false
        let now = observed.tasks
        for host in Set(saved.hosts.keys).union(now.keys).sorted() {
            var reasons = saved.hosts[host] == nil ? ["the host was not in the plan"] : saved.differences(for: host, now: now[host] ?? [])
            if let problem = trouble[host] { reasons.append("the verifying check run \(problem)") }
            if reasons.isEmpty {
                accepted.append(host)
            } else {
                refused = true
                let text = "REFUSED [\(host)]: the host is not where the plan saw it; nothing was applied to it\n"
                    + reasons.map { "  - \($0)\n" }.joined()
                FileHandle.standardError.write(Data(SecretRedactor.shared.redact(text).utf8))
            }
        }
        guard !accepted.isEmpty else { throw ExitCode(PlaybookRunner.ExitStatus.hostFailed.rawValue) }

        // 2. Apply, on the hosts that match, approving each module's plan against the saved digest.
        var apply = options
        apply.limit = accepted.joined(separator: ":")
        apply.diffMode = diff
        apply.planLedger = PlanLedger(approving: saved)
        let outputs = try OutputSelection(output, fallback: config.string("DEFAULT_STDOUT_CALLBACK").flatMap(AnsibleConfig.output(forCallback:)))
        var sinks = try outputs.sinks(verbosity: verbose, showDiffs: diff)
        if let history = HistoryRecording.recorder(playbooks: saved.playbooks, options: apply) { sinks.append(history) }
        let runner = PlaybookRunner(options: apply, sinks: sinks)
        let playbooks = saved.playbooks
        let run = _Concurrency.Task { await runner.run(playbooks) }
        let signals = InterruptHandler { run.cancel() }
        let status = await run.value
        signals.stop()
        if status != .ok { throw ExitCode(status.rawValue) }
        if refused { throw ExitCode(PlaybookRunner.ExitStatus.hostFailed.rawValue) }
    }
}

/// Which hosts failed or were unreachable in a run, from its recap.
actor RecapCollector: ReportSink {
    private(set) var troubledHosts: [String: String] = [:]

    func handle(_ event: RunEvent) async {
        guard case .recap(let recaps, _) = event else { return }
        for recap in recaps {
            if recap[.unreachable] > 0 { troubledHosts[recap.host] = "could not reach it" }
            else if recap[.failed] > 0 { troubledHosts[recap.host] = "failed on it" }
        }
    }
}
