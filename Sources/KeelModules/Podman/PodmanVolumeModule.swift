import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_volume` (containers.podman.podman_volume): a named volume exists with the driver, labels and
/// options the task gives, or is absent. A volume cannot be changed in place: a differing setting recreates
/// it (its data is lost, as with containers.podman), and the diff names each setting.
public struct PodmanVolumeModule: Module {
    public static let name = "podman_volume"
    public static let aliases = ["containers.podman.podman_volume"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Create, recreate or remove podman volumes",
        description: """
            Observed with `podman volume inspect`. Compared are the settings the task gives: driver, label (the volume's \
            labels must be exactly these) and options (`KEY=VALUE` items of `podman volume create --opt`, compared as a set; \
            podman's uid and gid options are ignored unless given). A difference recreates the volume, losing its data; a \
            volume in use cannot be removed and the task fails with podman's message.
            """,
        examples: """
            - name: The database's data volume
              containers.podman.podman_volume:
                name: pgdata
                label:
                  app: postgres
            - name: A tmpfs volume
              podman_volume:
                name: scratch
                options: ["type=tmpfs", "device=tmpfs", "o=size=64m"]
            """,
        deviations: [
            "The mounted/unmounted states and quadlet are not supported.",
            "recreate: true recreates the volume on every run, as in containers.podman.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The volume.") var name: String
        @Option("state", choices: VolumeState.self, default: .present, help: "present or absent.") var state: VolumeState
        @Option("driver", .string, format: .word, help: "The volume driver (podman's default: local).") var driver: String?
        @Option("label", .dict, help: "Labels, name: value.") var label: Value?
        @Option("options", .list(.string), help: "Driver options as KEY=VALUE (type=tmpfs, device=tmpfs, o=size=64m).") var options: [String]?
        @Option("recreate", .bool, default: false, help: "Recreate the volume even when it matches (every run).") var recreate: Bool
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    public enum VolumeState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var volume: Value?
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case create(name: String, flags: [String], executable: String)
        case remove(name: String, executable: String)

        public var description: String {
            switch self {
            case .create(let name, let flags, _): return (["podman", "volume", "create"] + flags + [name]).joined(separator: " ")
            case .remove(let name, _): return "podman volume rm \(name)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        State(volume: try await PodmanImageShell.inspect("volume", a.name, on: host, executable: a.executable))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["name": .string(a.name), "volume": observed.volume ?? .dict([:])]
        values["volume"] = observed.volume ?? .dict([:])
        let label = "volume \(a.name)"
        let remove = Step.remove(name: a.name, executable: a.executable)
        guard a.state == .present else {
            guard observed.volume != nil else { return .unchanged(values: values) }
            var changes = FieldChanges()
            changes.compare("state", desired: "absent", observed: "present")
            return Plan(steps: [remove], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
        }
        let labels = try PodmanImageShell.userMap(a.label, option: "label")
        let options = try a.options.map(Self.optionMap)
        let create = Step.create(name: a.name, flags: flags(a, labels, options), executable: a.executable)
        guard let volume = observed.volume else {
            var changes = FieldChanges()
            changes.compare("state", desired: "present", observed: "absent")
            return Plan(steps: [create], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
        }
        var changes = FieldChanges()
        changes.compare("driver", desired: a.driver, observed: volume["Driver"]?.stringValue, requiresReplace: true)
        changes.compare("label", desired: labels, observed: PodmanImageShell.stringMap(volume["Labels"]), requiresReplace: true,
                        render: PodmanImageShell.render)
        if let options {
            var current = PodmanImageShell.stringMap(volume["Options"])
            for key in ["uid", "gid"] where options[key] == nil { current[key] = nil }
            changes.compare("options", desired: options, observed: current, requiresReplace: true, render: PodmanImageShell.render)
        }
        if a.recreate, changes.isEmpty { changes.compare("recreate", desired: "true", observed: "false", requiresReplace: true) }
        guard !changes.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: [remove, create], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
    }

    static func optionMap(_ items: [String]) throws -> [String: String] {
        var map: [String: String] = [:]
        for item in items {
            guard let equals = item.firstIndex(of: "="), equals != item.startIndex else {
                throw KeelError("options items must be KEY=VALUE (type=tmpfs), found \(item)")
            }
            map[String(item[..<equals])] = String(item[item.index(after: equals)...])
        }
        return map
    }

    func flags(_ a: Arguments, _ labels: [String: String]?, _ options: [String: String]?) -> [String] {
        var flags: [String] = []
        if let driver = a.driver { flags += ["--driver", driver] }
        for (key, value) in (labels ?? [:]).sorted(by: { $0.key < $1.key }) { flags += ["--label", "\(key)=\(value)"] }
        for item in a.options ?? [] { flags += ["--opt", item] }
        return flags
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var created: (String, String)?
        for step in plan.steps {
            switch step {
            case .create(let name, let flags, let executable):
                try await PodmanImageShell.run(["volume", "create"] + flags + [name], on: host, failure: "cannot create volume \(name)", executable: executable)
                created = (name, executable)
            case .remove(let name, let executable):
                try await PodmanImageShell.run(["volume", "rm", name], on: host, failure: "cannot remove volume \(name)", executable: executable)
            }
        }
        guard let (name, executable) = created else { return .changed(["volume": .dict([:])]) }
        return .changed(["volume": try await PodmanImageShell.inspect("volume", name, on: host, executable: executable) ?? .dict([:])])
    }
}
