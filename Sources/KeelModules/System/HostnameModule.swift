import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `hostname`: the host's name, both the running (kernel) name and the persisted one
/// (ansible.builtin.hostname). On systemd hosts through hostnamectl; elsewhere /etc/hostname (written
/// atomically) plus `hostname NAME`. One round trip observes both names and whether systemd runs.
public struct HostnameModule: Module {
    public static let name = "hostname"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Set the host name",
        description: """
            Compares the running name (`hostname`) and the persisted one (/etc/hostname) with `name` and changes what \
            differs: `hostnamectl set-hostname` when systemd runs, else /etc/hostname and `hostname NAME`. /etc/hosts is \
            left alone, as in Ansible.
            """,
        examples: """
            - hostname: name=web1.example.com
            - hostname:
                name: "{{ inventory_hostname }}"
                use: systemd
            """,
        deviations: ["Only the systemd and /etc/hostname strategies exist (Ansible also knows alpine, openbsd, redhat, sles, ...: use `file` for those that read /etc/hostname)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .hostname, help: "The host name (a short name or a fully qualified one).") var name: String
        @Option("use", choices: Strategy.self, help: "Strategy: `systemd` (hostnamectl) or `debian`/`generic`/`file` (/etc/hostname + hostname). Default: systemd when it runs, else the file.") var use: Strategy?

        public init() {}
    }

    /// How the name is set: the cases are the option's choices.
    public enum Strategy: String, OptionChoice { case systemd, debian, generic, file }

    public struct State: Equatable, Sendable {
        var running: String
        var persisted: String?
        var systemd: Bool
    }

    public enum Step: Sendable, Codable, Equatable { case hostnamectl(String), writeFile(String), setRunning(String) }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            echo "running=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
            [ -f /etc/hostname ] && echo "persisted=$(head -n 1 /etc/hostname)"
            [ -d /run/systemd/system ] && command -v hostnamectl >/dev/null 2>&1 && echo systemd=1
            true
            """
        let f = AccountDatabase.fields(try await host.run(script).stdoutText)
        return State(running: f["running"]?.first ?? "", persisted: f["persisted"]?.first.map { $0.trimmingCharacters(in: .whitespaces) }, systemd: f["systemd"] != nil)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "ansible_facts": ["ansible_hostname": .string(String(a.name.split(separator: ".").first ?? "")),
                                                                                                   "ansible_nodename": .string(a.name)]]
        guard observed.running != a.name || observed.persisted != a.name else { return .unchanged(values: values) }
        let useSystemd = a.use == .systemd || (a.use == nil && observed.systemd)
        if useSystemd && !observed.systemd {
            throw KeelError("\(host.name): hostname use=systemd, but systemd is not running here", expected: "a host booted with systemd", found: "no systemd")
        }
        var steps: [Step] = []
        if useSystemd { steps = [.hostnamectl(a.name)] } else {
            if observed.persisted != a.name { steps.append(.writeFile(a.name)) }
            if observed.running != a.name { steps.append(.setRunning(a.name)) }
        }
        func text(_ running: String, _ persisted: String?) -> String { "hostname: \(running)\n/etc/hostname: \(persisted ?? "(none)")\n" }
        return Plan(steps: steps, diffs: [Diff(label: "hostname", before: text(observed.running, observed.persisted), after: text(a.name, a.name))], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let command: String
            switch step {
            case .hostnamectl(let name): command = "hostnamectl set-hostname -- \(ShellQuote.quote(name))"
            case .setRunning(let name):
                let n = ShellQuote.quote(name)
                command = "hostname -- \(n) 2>/dev/null || printf '%s' \(n) > /proc/sys/kernel/hostname"
            case .writeFile(let name):
                _ = try await FileWrite(destination: "/etc/hostname", content: Data((name + "\n").utf8)).perform(on: host)
                continue
            }
            try await host.runChecked(command, failure: "cannot set the hostname")
        }
        return .changed()
    }
}
