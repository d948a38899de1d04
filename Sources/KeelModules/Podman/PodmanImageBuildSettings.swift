import KeelBase
import KeelTransport

/// containers.podman's `build:` mapping, checked and typed: unknown keys are refused (a typo such as
/// `buildargs` inside it would otherwise be ignored silently).
struct PodmanImageBuildSettings: Sendable, Equatable {
    var file: String?
    var containerFile: String?
    /// Keel's addition: `--build-arg KEY=VALUE` for each entry (containers.podman needs extra_args for it).
    var args: [String: String] = [:]
    var target: String?
    var cache = true
    var format: String?
    var extraArgs: String?
    var annotations: [String: String] = [:]
    var rm = true
    var forceRm = false
    var volumes: [String] = []

    static let keys = ["file", "container_file", "args", "target", "cache", "format", "extra_args", "annotation", "rm",
                       "force_rm", "volume"]

    init(_ value: Value?) throws {
        guard let value, !value.isNull else { return }
        guard let dict = value.dictValue else { throw KeelError("build must be a mapping (file, container_file, args, ...), found \(value.jsonString())") }
        for key in dict.keys where !Self.keys.contains(key) {
            throw KeelError("build has no option '\(key)': expected one of \(Self.keys.joined(separator: ", "))")
        }
        func string(_ key: String) throws -> String? {
            guard let item = dict[key], !item.isNull else { return nil }
            switch item {
            case .string(let s): return s
            case .int(let i): return String(i)
            default: throw KeelError("build.\(key) must be a string, found \(item.jsonString())")
            }
        }
        func bool(_ key: String, _ fallback: Bool) throws -> Bool {
            guard let item = dict[key], !item.isNull else { return fallback }
            guard let b = item.ansibleBool else { throw KeelError("build.\(key) must be a boolean, found \(item.jsonString())") }
            return b
        }
        file = try string("file")
        containerFile = try string("container_file")
        if file != nil, containerFile != nil { throw KeelError("build: give either file or container_file, not both") }
        args = try PodmanImageShell.userMap(dict["args"], option: "build.args") ?? [:]
        target = try string("target")
        cache = try bool("cache", true)
        format = try string("format")
        if let format, format != "oci", format != "docker" { throw KeelError("build.format must be oci or docker, found \(format)") }
        extraArgs = try string("extra_args")
        annotations = try PodmanImageShell.userMap(dict["annotation"], option: "build.annotation") ?? [:]
        rm = try bool("rm", true)
        forceRm = try bool("force_rm", false)
        if let list = dict["volume"], !list.isNull {
            guard let items = list.listValue else { throw KeelError("build.volume must be a list, found \(list.jsonString())") }
            volumes = items.compactMap(\.stringValue)
        }
    }

    /// The `podman build` flags these settings give (the context, tag and label are added by the step).
    var flags: [String] {
        var flags: [String] = []
        if forceRm { flags.append("--force-rm") }
        if let format { flags += ["--format", format] }
        if !cache { flags.append("--no-cache") }
        if rm { flags.append("--rm") }
        for (key, value) in annotations.sorted(by: { $0.key < $1.key }) { flags += ["--annotation", "\(key)=\(value)"] }
        for (key, value) in args.sorted(by: { $0.key < $1.key }) { flags += ["--build-arg", "\(key)=\(value)"] }
        for volume in volumes { flags += ["--volume", volume] }
        if let file { flags += ["--file", file] }
        if let target { flags += ["--target", target] }
        if let extraArgs { flags += ShellWords.split(extraArgs) }
        return flags
    }
}
