import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelReport
import KeelTemplate
import KeelTransport
import OrderedCollections

/// What every part of one `keel play` run shares: options, inventory, modules, templates, the loader,
/// each host's state, and where events go.
final class RunContext: Sendable {
    let options: RunOptions
    let inventory: Inventory
    let registry: ModuleRegistry
    let templates: TemplateEngine
    let loader: PlaybookLoader
    let sinks: [any ReportSink]
    let hosts: [String: HostState]
    let sshConfig: SSHConfig
    let startAt: StartAtTask
    /// The controller services modules share for the whole run (HTTP, run-wide state, fact caches).
    let services = ControllerServices()

    init(options: RunOptions, inventory: Inventory, registry: ModuleRegistry, templates: TemplateEngine,
         loader: PlaybookLoader, sinks: [any ReportSink]) {
        self.options = options
        self.inventory = inventory
        self.registry = registry
        self.templates = templates
        self.loader = loader
        self.sinks = sinks
        var hosts: [String: HostState] = [:]
        for name in inventory.hostNames { hosts[name] = HostState(name: name) }
        if hosts["localhost"] == nil { hosts["localhost"] = HostState(name: "localhost") }
        self.hosts = hosts
        self.sshConfig = .userDefault()
        self.startAt = StartAtTask(pattern: options.startAtTask)
    }

    func emit(_ event: RunEvent) async {
        for sink in sinks { await sink.handle(event) }
    }

    func state(_ host: String) -> HostState {
        hosts[host] ?? HostState(name: host)
    }

    /// The host's connection, opened on first use and kept for the run.
    func connection(for host: String, variables: OrderedDictionary<String, Value>) async throws -> any Connection {
        let state = self.state(host)
        if let existing = state.connection { return existing }
        var vars = variables
        if let password = options.becomePassword, vars["ansible_become_password"] == nil { vars["ansible_become_password"] = .string(password) }
        let settings = HostConnectionSettings(hostName: host, variables: vars, config: sshConfig, defaultPolicy: options.hostKeyPolicy)
        let connection = try await settings.connect()
        state.connection = connection
        return connection
    }

    func closeConnections() async {
        for state in hosts.values {
            if let connection = state.connection { await connection.close() }
            state.connection = nil
        }
    }
}
