import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelReport
import KeelTemplate
import KeelTransport
import OrderedCollections
import Synchronization

/// What every part of one `keel play` run shares: options, inventory, modules, templates, the loader,
/// each host's state, and where events go.
final class RunContext: Sendable {
    let options: RunOptions
    /// The inventory as it is now: add_host and group_by change it during the run.
    var inventory: Inventory { live.inventory }
    let live: LiveInventory
    let registry: ModuleRegistry
    let templates: TemplateEngine
    let loader: PlaybookLoader
    let sinks: [any ReportSink]
    /// Every host's state, including hosts add_host added.
    var hosts: [String: HostState] { live.hosts }
    let sshConfig: SSHConfig
    let startAt: StartAtTask
    let connections: ConnectionPool
    /// One set of controller services for the whole run: the HTTP client, the run-wide state store and the
    /// per-host fact caches are shared by every task of every host.
    let services = ControllerServices()
    /// The lookahead's rendered probes per host and task (ObservationLookahead).
    let probeCache = ProbeCache()
    /// Where each task run's temporary names come from (ScriptNonces).
    let scriptNonces = ScriptNonces()

    init(options: RunOptions, inventory: Inventory, registry: ModuleRegistry, templates: TemplateEngine,
         loader: PlaybookLoader, sinks: [any ReportSink]) {
        self.options = options
        self.live = LiveInventory(inventory)
        self.registry = registry
        self.templates = templates
        self.loader = loader
        self.sinks = sinks
        self.sshConfig = .userDefault()
        self.startAt = StartAtTask(pattern: options.startAtTask)
        self.connections = ConnectionPool(batching: options.batchObservations, controlPersist: options.controlPersist,
                                          masterExecutable: options.connectionMasterExecutable)
    }

    func emit(_ event: RunEvent) async {
        for sink in sinks { await sink.handle(event) }
    }

    func state(_ host: String) -> HostState {
        live.state(host) ?? HostState(name: host)
    }

    /// The connection these settings describe, opened on first use and kept for the run.
    func connection(for host: String, settings: HostConnectionSettings) async throws -> any Connection {
        try await connections.connection(host: host, settings: settings)
    }

    /// Typed settings from a host's connection variables; a bad value (port 99999) throws, naming it.
    /// Kept per host and variables: every task asks, and reading them resolves the ssh config and options anew.
    func connectionSettings(for host: String, variables: OrderedDictionary<String, Value>) throws -> HostConnectionSettings {
        let key = SettingsKey(host: host, variables: variables)
        if let known = settingsByVariables.withLock({ $0[key] }) { return known }
        let settings = try HostConnectionSettings(hostName: host, variables: ConnectionDefaults(options).filling(variables, host: host),
                                                  becomePassword: options.becomePassword, config: sshConfig, defaultPolicy: options.hostKeyPolicy)
        settingsByVariables.withLock { $0[key] = settings }
        return settings
    }

    private struct SettingsKey: Hashable {
        var host: String
        var variables: OrderedDictionary<String, Value>
    }
    private let settingsByVariables = Mutex<[SettingsKey: HostConnectionSettings]>([:])

    /// Closes and forgets the host's connections (ConnectionPool.drop), and the probes rendered over them.
    func dropConnections(host: String, endKeptSessions: Bool = false) async {
        await connections.drop(host: host, endKeptSessions: endKeptSessions)
        probeCache.forget(host: host)
    }

    func closeConnections() async {
        await connections.closeAll()
    }
}
