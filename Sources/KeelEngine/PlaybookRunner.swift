import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelReport
import KeelTemplate
import OrderedCollections

/// `keel play`: loads the inventory and every playbook first (all errors before any host is touched),
/// then runs the plays in order and reports the recap.
public struct PlaybookRunner: Sendable {
    /// Exit codes, stable and documented in docs/exit-codes.md.
    public enum ExitStatus: Int32, Sendable {
        case ok = 0
        case usageOrParseError = 1
        case hostFailed = 2
        /// Only with --drift-exit-code: nothing failed, but something changed (or would change).
        case drift = 3
        case hostUnreachable = 4
        /// Interrupted by SIGINT or SIGTERM (128 + SIGINT, as a shell reports it): the running commands
        /// were stopped and the recap printed.
        case interrupted = 130
    }

    public let options: RunOptions
    public let sinks: [any ReportSink]
    public let registry: ModuleRegistry

    public init(options: RunOptions, sinks: [any ReportSink], registry: ModuleRegistry = StandardModules.registry) {
        self.options = options
        self.sinks = sinks
        self.registry = registry
    }

    /// A catalog for the loader made from the registry (the model never names modules itself).
    struct RegistryCatalog: ModuleCatalog {
        let registry: ModuleRegistry
        func canonicalName(for written: String) -> String? { registry.canonicalName(for: written) }
        var allNames: [String] { registry.allNames }
        func takesFreeForm(_ canonical: String) -> Bool { registry.takesFreeForm(canonical) }
    }

    /// Loads everything and checks every task's literal arguments; throws the first located parse error,
    /// or every argument problem at once (`LoadProblems`).
    public func load(_ playbooks: [String]) throws -> (Inventory, [Playbook], PlaybookLoader, TemplateEngine) {
        let loaded = try load { loader in try playbooks.map { try loader.loadPlaybook(at: $0) } }
        return (loaded.inventory, loaded.playbooks, loaded.loader, loaded.templates)
    }

    /// The problems of files only `include_tasks`/`include_role` load (LoadTimeChecks.deferred), which
    /// `load` leaves out: --syntax-check lists them as warnings.
    public func deferredProblems(_ playbooks: [String]) throws -> [KeelError] {
        try load { loader in try playbooks.map { try loader.loadPlaybook(at: $0) } }.deferred
    }

    struct Loaded {
        var inventory: Inventory
        var playbooks: [Playbook]
        var loader: PlaybookLoader
        var templates: TemplateEngine
        var deferred: [KeelError]
    }

    /// `load` with the playbooks made by `read` (files, or an ad-hoc play given as text).
    /// With `stopAtProblems` false, what loaded is returned whatever the checks found (keel check goes on
    /// to look for undefined variables in a playbook that has other problems).
    func load(_ read: (PlaybookLoader) throws -> [Playbook], stopAtProblems: Bool = true) throws -> Loaded {
        let templates = TemplateEngine()
        var loaderOptions = LoaderOptions(rolesPath: options.rolesPath)
        loaderOptions.collectionsPath = options.collectionsPath
        // Unknown modules, keywords, filters and tests are collected, not thrown at the first, so one
        // check (--syntax-check) lists all of them.
        let problemLog = LoadProblemLog()
        loaderOptions.problemLog = problemLog
        loaderOptions.checkTemplate = { text, location in try templates.check(text, origin: location) }
        // Static imports with a templated name (`import_tasks: "{{ os }}.yml"`) are resolved at load time
        // from what is known then: the play's and role's vars, then extra vars over them, as in Ansible.
        let extraVars = options.extraVars
        loaderOptions.renderStaticName = { text, vars, location in
            var known = vars
            for (key, value) in extraVars { known[key] = value }
            return try templates.render(text, context: DictionaryContext(known), origin: location)
        }
        let loader = PlaybookLoader(catalog: RegistryCatalog(registry: registry), options: loaderOptions)
        let inventory = try Inventory.load(sources: options.inventorySources.isEmpty ? ["localhost,"] : options.inventorySources)
        InventoryLookups.register(in: templates, inventory: inventory)
        let loaded: [Playbook]
        do {
            loaded = try read(loader)
        } catch {
            // A problem the loader cannot step over ends loading; the ones collected before it come first.
            let collected = problemLog.problems
            guard !collected.isEmpty else { throw error }
            let last = error as? KeelError ?? KeelError("\(error)")
            throw LoadProblems(problems: collected + [last])
        }
        // Jinja2's loader for strings in playbooks is rooted at the playbook's directory, as Ansible's basedir.
        let directory = loaded.first.map { ($0.path as NSString).deletingLastPathComponent } ?? ""
        templates.setDefaultLoader(FileSystemTemplateLoader(searchPaths: [directory.isEmpty ? FileManager.default.currentDirectoryPath : directory]))
        // The checks load literal include_tasks/include_role files, whose loader problems land in the log too.
        let (checkProblems, deferred) = LoadTimeChecks.problems(in: loaded, registry: registry, loader: loader, templates: templates)
        let loadProblems = problemLog.problems
        let problems = loadProblems + checkProblems
        if !stopAtProblems {
            return Loaded(inventory: inventory, playbooks: loaded, loader: loader, templates: templates, deferred: deferred)
        }
        // A single problem of the loader is thrown as itself, as it always was.
        if problems.count == 1, loadProblems.count == 1, deferred.isEmpty { throw loadProblems[0] }
        if !problems.isEmpty { throw LoadProblems(problems: problems, deferred: deferred) }
        // Two users of one port on a host fail the run before it touches anything.
        let ports = portFindings(loaded, inventory: inventory, loader: loader, templates: templates)
        if !ports.errors.isEmpty { throw LoadProblems(problems: ports.errors) }
        return Loaded(inventory: inventory, playbooks: loaded, loader: loader, templates: templates, deferred: deferred)
    }

    /// How a deferred problem is reported: where it is, and that it matters only if its task (or include) runs.
    static func deferredWarning(_ problem: KeelError) -> String {
        "\(problem.message) (an error only if it runs)"
    }

    /// Port conflicts (errors) and ports opened in a firewall that nothing listens on (warnings) of
    /// loaded playbooks, resolved per host without contacting any (see PortConflicts).
    public func portFindings(_ playbooks: [Playbook], inventory: Inventory, loader: PlaybookLoader,
                             templates: TemplateEngine) -> (errors: [KeelError], warnings: [KeelError]) {
        let context = RunContext(options: options, inventory: inventory, registry: registry, templates: templates, loader: loader, sinks: [])
        return PortConflicts(run: context).analyze(playbooks)
    }

    /// Runs the playbooks; returns the exit status. Cancelling the calling task interrupts the run (what
    /// `keel play` does on SIGINT/SIGTERM): no task starts after that, the running ones stop their remote
    /// commands, and the recap of what was done is still reported.
    public func run(_ playbooks: [String]) async -> ExitStatus {
        await run(named: playbooks) { loader in try playbooks.map { try loader.loadPlaybook(at: $0) } }
    }

    /// `keel run`: one ad-hoc play, given as playbook text, run by the same engine as `keel play`.
    public func run(adHocPlaybook text: String, named name: String) async -> ExitStatus {
        await run(named: [name]) { loader in [try loader.loadPlaybook(text: text, named: name)] }
    }

    private func run(named playbooks: [String], read: (PlaybookLoader) throws -> [Playbook]) async -> ExitStatus {
        let started = Date()
        let inventory: Inventory, loaded: [Playbook], loader: PlaybookLoader, templates: TemplateEngine, deferred: [KeelError]
        do {
            let result = try load(read)
            (inventory, loaded, loader, templates) = (result.inventory, result.playbooks, result.loader, result.templates)
            deferred = result.deferred
        } catch {
            // Nothing has touched a host: the located error is all there is to say.
            FileHandle.standardError.write(Data(SecretRedactor.shared.redact("\(error)\n").utf8))
            return .usageOrParseError
        }
        let context = RunContext(options: options, inventory: inventory, registry: registry, templates: templates,
                                 loader: loader, sinks: sinks)
        await context.emit(.runStarted(RunInfo(playbooks: playbooks, checkMode: options.checkMode, diffMode: options.diffMode)))
        for problem in deferred {
            await context.emit(.warning(message: Self.deferredWarning(problem), location: problem.location))
        }
        for warning in portFindings(loaded, inventory: inventory, loader: loader, templates: templates).warnings {
            await context.emit(.warning(message: warning.message, location: warning.location))
        }
        let filter = TagFilter(only: Set(options.tags), skip: Set(options.skipTags))
        plays: for playbook in loaded {
            for play in playbook.plays {
                if _Concurrency.Task.isCancelled { break plays }
                do {
                    try await PlayRunner(run: context, play: play, playbookPath: playbook.path, tagFilter: filter).execute()
                } catch is CancellationError {
                    break plays
                } catch {
                    await context.emit(.warning(message: "\(error)", location: (error as? KeelError)?.location ?? play.location))
                }
            }
        }
        let interrupted = _Concurrency.Task.isCancelled
        if interrupted {
            await context.emit(.warning(message: "interrupted: no task was started after the signal, the running commands were stopped",
                                        location: nil))
        }
        await context.closeConnections()
        let usage = await context.connections.usage()
        var names = context.inventory.hostNames
        if !names.contains("localhost") { names.append("localhost") }
        let recaps = names.compactMap { name -> HostRecap? in
            let state = context.state(name)
            guard !state.recap.isEmpty else { return nil }
            var counts: [HostTaskResult.Status: Int] = [:]
            for (key, value) in state.recap { if let status = HostTaskResult.Status(rawValue: key) { counts[status] = max(0, value) } }
            let transport = usage[name].map { TransportSummary(roundTrips: $0.roundTrips, commands: $0.commands,
                                                               bytesSent: $0.bytesSent, bytesReceived: $0.bytesReceived,
                                                               loginRoundTrips: $0.loginRoundTrips) }
            return HostRecap(host: name, counts: counts, transport: transport)
        }
        await context.emit(.recap(recaps, elapsedSeconds: Date().timeIntervalSince(started)))
        if interrupted { return .interrupted }
        if context.hosts.values.contains(where: \.unreachable) { return .hostUnreachable }
        if context.hosts.values.contains(where: \.failed) { return .hostFailed }
        if options.driftExitCode, context.hosts.values.contains(where: { $0.recap["changed", default: 0] > 0 }) { return .drift }
        if let pattern = options.startAtTask, context.startAt.isPending {
            await context.emit(.warning(message: "--start-at-task: no task matched '\(pattern)', nothing ran", location: nil))
            return .usageOrParseError
        }
        return .ok
    }
}
