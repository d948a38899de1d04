import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_pod` (containers.podman.podman_pod): a pod exists (created, started or stopped) with the
/// settings the task gives, or is absent. A pod's settings cannot change in place: a differing setting
/// recreates it (`podman pod rm -f`, which removes its containers, as containers.podman does), and the
/// diff names each one. Running state alone is changed with `pod start`/`pod stop`.
public struct PodmanPodModule: Module {
    public static let name = "podman_pod"
    public static let aliases = ["containers.podman.podman_pod"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create, start, stop, recreate or remove podman pods",
        description: """
            Observed with `podman pod inspect`. Compared are the settings the task gives: publish (as \
            [IP:]HOSTPORT:CONTAINERPORT[/PROTOCOL]; a port without a host port matches any), network (as a set), label \
            (the pod's labels must include these), hostname, share (as a set) and infra. A difference recreates the pod \
            and its containers; state then decides whether it runs: created (exists, running or not), started, stopped.
            """,
        examples: """
            - name: A pod publishing the gateway
              containers.podman.podman_pod:
                name: web
                state: started
                publish: ["8080:3000"]
                network: [frontend]
                label: {app: gateway}
            """,
        deviations: [
            "Only these options are supported: name, state (created, started, stopped, absent), publish (ports), network, label, hostname, share, infra, infra_image, add_host, dns, recreate, executable; others are refused.",
            "recreate: true recreates the pod on every run, as in containers.podman.",
            "state: quadlet writes NAME.pod with the keys containers.podman writes (compared in the lab with its file), except infra: `PodmanArgs=--infra=BOOL` where containers.podman writes `--infra True`, which podman would read as a stray argument. generate_systemd and a systemd option are not supported (quadlet .pod files need podman 5.0).",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The pod.") var name: String
        @Option("state", choices: PodState.self, default: .created, help: "created (exists), started (running), stopped, absent.") var state: PodState
        @Option("publish", .list(.string), aliases: ["ports"], help: "Ports: [IP:]HOSTPORT:CONTAINERPORT[/PROTOCOL].") var publish: [String]?
        @Option("network", .list(.string), help: "Networks the pod joins.") var network: [String]?
        @Option("label", .dict, help: "Labels, name: value.") var label: Value?
        @Option("hostname", .string, format: .hostname, help: "The pod's host name.") var hostname: String?
        @Option("share", .string, format: .word, help: "Namespaces the containers share (comma-separated: ipc,net,uts).") var share: String?
        @Option("infra", .bool, help: "Whether the pod has an infra container (podman's default: yes).") var infra: Bool?
        @Option("infra_image", .string, format: .word, help: "The infra container's image (created only; not compared).") var infra_image: String?
        @Option("add_host", .list(.string), help: "HOST:IP lines for /etc/hosts (created only; not compared).") var add_host: [String]?
        @Option("dns", .list(.string), help: "DNS servers (created only; not compared).") var dns: [String]?
        @Option("recreate", .bool, default: false, help: "Recreate the pod even when it matches (every run).") var recreate: Bool
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        @Option("quadlet_dir", .path, help: "state quadlet: where the file goes (/etc/containers/systemd for root, ~/.config/containers/systemd for a user).") var quadlet_dir: String?
        @Option("quadlet_filename", .string, help: "state quadlet: the file's name (`.pod` is added when missing); NAME.pod by default.") var quadlet_filename: String?
        @Option("quadlet_file_mode", .string, help: "state quadlet: the file's permissions (octal); a new file gets 0640.") var quadlet_file_mode: String?
        @Option("quadlet_options", .list(.string), help: "state quadlet: lines appended to the file as given.") var quadlet_options: [String]?
        public init() {}
    }

    public enum PodState: String, OptionChoice { case created, started, stopped, absent, quadlet }

    public struct State: Equatable, Sendable {
        var pod: Value?
        /// state quadlet: the file NAME.pod, and who runs podman (root's or the user's directory).
        var quadlet: PodmanQuadletObserved?
        var uid: Int?
        var home = ""
        var running: Bool { ["Running", "Degraded"].contains(pod?["State"]?.stringValue ?? "") }
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case create(name: String, flags: [String], executable: String)
        case remove(name: String, executable: String)
        case start(name: String, executable: String)
        case stop(name: String, executable: String)
        case writeQuadlet(path: String, content: String, mode: String?)

        public var description: String {
            switch self {
            case .create(let name, let flags, _): return (["podman", "pod", "create", "--name", name] + flags).joined(separator: " ")
            case .remove(let name, _): return "podman pod rm -f \(name)"
            case .start(let name, _): return "podman pod start \(name)"
            case .stop(let name, _): return "podman pod stop \(name)"
            case .writeQuadlet(let path, _, let mode): return "write \(path)\(mode.map { " (mode \($0))" } ?? "")"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.state == .quadlet {
            let found = try await PodmanPodQuadlet.observe(a, on: host)
            return State(pod: nil, quadlet: found.file, uid: found.uid, home: found.home)
        }
        return State(pod: try await PodmanImageShell.inspect("pod", a.name, on: host, executable: a.executable))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "pod": observed.pod ?? .dict([:])]
        let label = "pod \(a.name)"
        let e = a.executable
        var changes = FieldChanges()
        var steps: [Step] = []
        if a.state == .quadlet { return try planQuadlet(a, observed: observed) }
        guard a.state != .absent else {
            guard observed.pod != nil else { return .unchanged(values: values) }
            changes.compare("state", desired: "absent", observed: observed.pod?["State"]?.stringValue ?? "present")
            return Plan(steps: [.remove(name: a.name, executable: e)], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
        }
        let labels = try PodmanImageShell.userMap(a.label, option: "label")
        let publish = try a.publish.map { try $0.map(PodmanPortMapping.init) }
        let create = Step.create(name: a.name, flags: try flags(a, labels), executable: e)
        var running = false
        if let pod = observed.pod {
            changes = compare(a, labels, publish, pod)
            if a.recreate, changes.isEmpty { changes.compare("recreate", desired: "true", observed: "false", requiresReplace: true) }
            if !changes.isEmpty { steps = [.remove(name: a.name, executable: e), create] } else { running = observed.running }
        } else {
            changes.compare("state", desired: "created", observed: "absent")
            steps = [create]
        }
        if a.state == .started, !running {
            steps.append(.start(name: a.name, executable: e))
            if observed.pod != nil, steps.count == 1 { changes.compare("running", desired: true, observed: false) }
        }
        if a.state == .stopped, running {
            steps.append(.stop(name: a.name, executable: e))
            changes.compare("running", desired: false, observed: true)
        }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: steps, diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
    }

    /// state quadlet: only the file; the same content (comments aside) and mode is no change.
    func planQuadlet(_ a: Arguments, observed: State) throws -> Plan<Step> {
        let file = try PodmanPodQuadlet.file(a)
        let path = PodmanPodQuadlet.path(a, uid: observed.uid, home: observed.home)
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "quadlet_file": .string(path)]
        let existing = observed.quadlet?.content
        let wantedMode = try a.quadlet_file_mode.map(PodmanContainerPlanner.octalMode)
        let sameContent = observed.quadlet?.matches(file) ?? false
        let modeDiffers = existing != nil && wantedMode != nil && wantedMode != observed.quadlet?.mode
        guard !sameContent || modeDiffers else { return .unchanged(values: values) }
        var diffs: [Diff] = []
        if !sameContent { diffs.append(Diff(label: path, before: existing ?? "", after: file.content)) }
        if modeDiffers { diffs.append(Diff(label: "\(path) mode", before: (observed.quadlet?.mode ?? "") + "\n", after: (wantedMode ?? "") + "\n")) }
        return Plan(steps: [.writeQuadlet(path: path, content: file.content, mode: wantedMode ?? (existing == nil ? "640" : nil))], diffs: diffs, values: values)
    }

    func compare(_ a: Arguments, _ labels: [String: String]?, _ publish: [PodmanPortMapping]?, _ pod: Value) -> FieldChanges {
        var changes = FieldChanges()
        let infra = pod["InfraConfig"]
        if let publish {
            let observed = PodmanPortMapping.observed(infra?["PortBindings"])
            let matches = publish.count == observed.count && publish.allSatisfy { want in observed.contains { want.matches($0) } }
            changes.compare("publish", desired: matches ? nil : publish.map(\.description).sorted(),
                            observed: observed.map(\.description).sorted(), requiresReplace: true, render: { $0.joined(separator: ", ") })
        }
        if let network = a.network {
            let observed = (infra?["Networks"]?.listValue ?? []).compactMap(\.stringValue)
            changes.compare("network", desired: Set(network), observed: Set(observed), requiresReplace: true,
                            render: { $0.sorted().joined(separator: ", ") })
        }
        if let labels {
            let observed = PodmanImageShell.stringMap(pod["Labels"])
            let missing = labels.contains { observed[$0.key] != $0.value }
            changes.compare("label", desired: missing ? labels : nil, observed: observed, requiresReplace: true, render: PodmanImageShell.render)
        }
        changes.compare("hostname", desired: a.hostname, observed: pod["Hostname"]?.stringValue, requiresReplace: true)
        if let share = a.share {
            let observed = (pod["SharedNamespaces"]?.listValue ?? []).compactMap(\.stringValue)
            changes.compare("share", desired: Set(share.split(separator: ",").map(String.init)), observed: Set(observed), requiresReplace: true,
                            render: { $0.sorted().joined(separator: ",") })
        }
        changes.compare("infra", desired: a.infra, observed: pod["CreateInfra"]?.boolValue ?? (pod["InfraContainerID"] != nil), requiresReplace: true)
        return changes
    }

    func flags(_ a: Arguments, _ labels: [String: String]?) throws -> [String] {
        var flags: [String] = []
        for port in a.publish ?? [] { flags += ["--publish", port] }
        for network in a.network ?? [] { flags += ["--network", network] }
        for (key, value) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) { flags += ["--label", "\(key)=\(value)"] }
        if let hostname = a.hostname { flags += ["--hostname", hostname] }
        if let share = a.share { flags += ["--share", share] }
        if let infra = a.infra { flags.append("--infra=\(infra)") }
        if let image = a.infra_image { flags += ["--infra-image", image] }
        for host in a.add_host ?? [] { flags += ["--add-host", host] }
        for server in a.dns ?? [] { flags += ["--dns", server] }
        return flags
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var last: (String, String)?
        for step in plan.steps {
            switch step {
            case .create(let name, let flags, let e):
                try await PodmanImageShell.run(["pod", "create", "--name", name] + flags, on: host, failure: "cannot create pod \(name)", executable: e)
                last = (name, e)
            case .remove(let name, let e):
                try await PodmanImageShell.run(["pod", "rm", "-f", name], on: host, failure: "cannot remove pod \(name)", executable: e)
            case .start(let name, let e):
                try await PodmanImageShell.run(["pod", "start", name], on: host, failure: "cannot start pod \(name)", executable: e)
                last = (name, e)
            case .stop(let name, let e):
                try await PodmanImageShell.run(["pod", "stop", name], on: host, failure: "cannot stop pod \(name)", executable: e)
                last = (name, e)
            case .writeQuadlet(let path, let content, let mode):
                _ = try await FileWrite(destination: path, content: Data(content.utf8), createParentDirectories: true).perform(on: host)
                if let mode { try await host.runPodmanChecked("chmod \(ShellQuote.quote(mode)) -- \(ShellQuote.quote(path))", failure: "podman_pod: cannot set the mode of \(path)") }
                return .changed(["quadlet_file": .string(path)])
            }
        }
        guard let (name, e) = last else { return .changed(["pod": .dict([:])]) }
        return .changed(["pod": try await PodmanImageShell.inspect("pod", name, on: host, executable: e) ?? .dict([:])])
    }
}

/// A published port as the task writes it (`[IP:]HOSTPORT:CONTAINERPORT[/PROTOCOL]`, or a container port
/// alone) and as `podman pod inspect` reports it.
struct PodmanPortMapping: Equatable, Sendable, CustomStringConvertible {
    var hostIP: String
    var hostPort: String
    var containerPort: String
    var proto: String

    init(hostIP: String, hostPort: String, containerPort: String, proto: String) {
        self.hostIP = hostIP
        self.hostPort = hostPort
        self.containerPort = containerPort
        self.proto = proto
    }

    init(_ text: String) throws {
        var body = Substring(text)
        var proto = "tcp"
        if let slash = body.lastIndex(of: "/") { proto = String(body[body.index(after: slash)...]); body = body[..<slash] }
        let parts = body.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        switch parts.count {
        case 1: self.init(hostIP: "", hostPort: "", containerPort: parts[0], proto: proto)
        case 2: self.init(hostIP: "", hostPort: parts[0], containerPort: parts[1], proto: proto)
        case 3: self.init(hostIP: parts[0], hostPort: parts[1], containerPort: parts[2], proto: proto)
        default: throw KeelError("publish must be [IP:]HOSTPORT:CONTAINERPORT[/PROTOCOL], found \(text)")
        }
        guard !containerPort.isEmpty, containerPort.allSatisfy({ $0.isNumber || $0 == "-" }) else {
            throw KeelError("publish must be [IP:]HOSTPORT:CONTAINERPORT[/PROTOCOL], found \(text)")
        }
    }

    /// podman's PortBindings: `{"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}`.
    static func observed(_ bindings: Value?) -> [PodmanPortMapping] {
        var mappings: [PodmanPortMapping] = []
        for (key, list) in bindings?.dictValue ?? [:] {
            let parts = key.split(separator: "/")
            for binding in list.listValue ?? [] {
                mappings.append(PodmanPortMapping(hostIP: binding["HostIp"]?.stringValue ?? "", hostPort: binding["HostPort"]?.stringValue ?? "",
                                                  containerPort: String(parts.first ?? ""), proto: parts.count > 1 ? String(parts[1]) : "tcp"))
            }
        }
        return mappings
    }

    func matches(_ other: PodmanPortMapping) -> Bool {
        containerPort == other.containerPort && proto == other.proto && (hostPort.isEmpty || hostPort == other.hostPort)
            && (hostIP.isEmpty || hostIP == "0.0.0.0" ? ["", "0.0.0.0"].contains(other.hostIP) : hostIP == other.hostIP)
    }

    var description: String { (hostIP.isEmpty ? "" : hostIP + ":") + (hostPort.isEmpty ? "" : hostPort + ":") + containerPort + "/" + proto }
}
