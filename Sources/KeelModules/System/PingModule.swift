import KeelBase
import OrderedCollections

/// `ping`: proves the host can be reached and run a command (ansible.builtin.ping); returns `ping: pong`
/// (or `data`). No Python is involved, so it checks the shell Keel needs instead.
public struct PingModule: Module {
    public static let name = "ping"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Check that the host answers: returns ping: pong",
        description: "Runs a no-op command on the host and returns `ping` with `data` (\"pong\"). `data: crash` fails the task, as Ansible's does.",
        examples: """
            - ping:
            - ping:
                data: alive
            """,
        deviations: ["It checks that /bin/sh runs over the connection, not that a Python interpreter works (Keel needs none)."])

    public struct Arguments: ModuleArguments {
        @Option("data", .string, default: "pong", help: "What to return as `ping`; `crash` makes the task fail.") var data: String
        public init() {}
    }

    public typealias State = String
    public typealias Step = Never

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> String {
        try await host.runChecked(":", failure: "the host does not run commands")
        if a.data == "crash" { throw KeelError("boom", expected: "data other than 'crash' (which makes ping fail on purpose)") }
        return a.data
    }

    public func plan(_ a: Arguments, observed: String, on host: HostContext) throws -> Plan<Never> {
        .unchanged(values: ["ping": .string(observed)])
    }

    public func apply(_ plan: Plan<Never>, on host: HostContext) async throws -> Applied { .unchanged() }
}
