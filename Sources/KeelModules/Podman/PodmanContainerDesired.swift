import Foundation
import KeelBase
import KeelTransport

/// What the task asks of the container, normalized for comparison (each setting the task gave, as
/// the text `PodmanContainerObserved` produces for the same setting) and as `podman create` arguments.
struct PodmanContainerDesired: Sendable, Equatable {
    /// Field name -> normalized text, in the order the diff lists them; only settings the task gave.
    var fields: [(name: String, text: String)] = []
    /// Extra facts the comparison needs about some fields.
    var anonymousVolumeDestinations: Set<String> = []
    var randomHostPorts: [String] = []   // `ip:->80/tcp` entries: podman picks the host port
    var envGiven = false
    var labelsGiven = false
    var capAdd: [String]?
    var capDrop: [String]?
    var securityOpt: [String]?
    /// `podman create` arguments after `create --name NAME`.
    var createArguments: [String] = []
    /// Host ports (`8080/tcp`) the container publishes, for the conflict check.
    var hostPorts: [String] = []

    static func == (a: Self, b: Self) -> Bool {
        a.fields.map(\.name) == b.fields.map(\.name) && a.fields.map(\.text) == b.fields.map(\.text) && a.createArguments == b.createArguments
    }

    func text(_ field: String) -> String? { fields.first { $0.name == field }?.text }

    /// Builds the desired settings; `envFiles` holds each env_file's content as read on the host, `imageEnv`
    /// and `imageLabels` the image's own (so the image's defaults are not differences).
    init(_ a: PodmanContainerModule.Arguments, envFiles: [String: String]) throws {
        var args: [String] = []
        func add(_ name: String, _ text: String) { fields.append((name, text)) }

        if let pod = a.pod { args += ["--pod", pod] }
        // Environment: env files first, then env (podman's order: env overrides a file's value).
        if a.env != nil || a.env_file != nil {
            envGiven = true
            var env: [String: String] = [:]
            for path in a.env_file ?? [] {
                guard let content = envFiles[path] else {
                    throw KeelError("podman_container: env_file \(path) does not exist on the host", expected: "a readable file of NAME=value lines on the host", found: "no file \(path)")
                }
                for (key, value) in try PodmanSettingText.envFile(content, path: path) { env[key] = value }
            }
            for (key, value) in try Self.stringDict(a.env, option: "env") { env[key] = value }
            // The files' values go in as --env too, so podman gets exactly what was compared.
            for key in env.keys.sorted() { args += ["--env", "\(key)=\(env[key]!)"] }
            add("env", Self.lines(env))
        }
        if let publish = a.publish {
            var ports: [String] = []
            for spec in publish { ports += try PodmanSettingText.ports(spec); args += ["--publish", spec] }
            randomHostPorts = ports.filter { $0.contains(":->") || $0.hasPrefix("->") }
            hostPorts = ports.compactMap { entry in
                guard let arrow = entry.range(of: "->") else { return nil }
                let host = String(entry[..<arrow.lowerBound]).components(separatedBy: ":").last ?? ""
                let proto = entry.split(separator: "/").last.map(String.init) ?? "tcp"
                return host.isEmpty ? nil : "\(host)/\(proto)"
            }
            add("publish", ports.sorted().joined(separator: ", "))
        }
        if a.volume != nil || a.mount != nil {
            var mounts: [String: String] = [:]
            for spec in a.volume ?? [] {
                let parsed = try PodmanSettingText.volume(spec)
                mounts[parsed.destination] = parsed.text
                if !spec.contains(":") { anonymousVolumeDestinations.insert(parsed.destination) }
                args += ["--volume", spec]
            }
            for spec in a.mount ?? [] {
                let parsed = try PodmanSettingText.mountOption(spec)
                mounts[parsed.destination] = parsed.text
                args += ["--mount", spec]
            }
            add("volumes", mounts.keys.sorted().map { mounts[$0]! }.joined(separator: ", "))
        }
        if let networks = a.network {
            for network in networks { args += ["--network", network] }
            add("network", Self.networkText(networks))
        }
        if let aliases = a.network_aliases {
            for alias in aliases { args += ["--network-alias", alias] }
            add("network_aliases", aliases.sorted().joined(separator: ", "))
        }
        if let ip = a.ip { args += ["--ip", ip]; add("ip", ip) }
        if a.label != nil {
            labelsGiven = true
            let labels = try Self.stringDict(a.label, option: "label")
            for key in labels.keys.sorted() { args += ["--label", "\(key)=\(labels[key]!)"] }
            add("labels", Self.lines(labels))
        }
        if let user = a.user { args += ["--user", user]; add("user", user) }
        if let workdir = a.workdir { args += ["--workdir", workdir]; add("workdir", workdir) }
        if let check = a.healthcheck { args += ["--health-cmd", check]; add("healthcheck", check) }
        if let interval = a.healthcheck_interval {
            args += ["--health-interval", interval]
            add("healthcheck_interval", PodmanSettingText.duration(try PodmanSettingText.nanoseconds(interval, option: "healthcheck_interval")))
        }
        if let retries = a.healthcheck_retries { args += ["--health-retries", String(retries)]; add("healthcheck_retries", String(retries)) }
        if let period = a.healthcheck_start_period {
            args += ["--health-start-period", period]
            add("healthcheck_start_period", PodmanSettingText.duration(try PodmanSettingText.nanoseconds(period, option: "healthcheck_start_period")))
        }
        if let timeout = a.healthcheck_timeout {
            args += ["--health-timeout", timeout]
            add("healthcheck_timeout", PodmanSettingText.duration(try PodmanSettingText.nanoseconds(timeout, option: "healthcheck_timeout")))
        }
        if let memory = a.memory { args += ["--memory", memory]; add("memory", String(try PodmanSettingText.bytes(memory))) }
        if let cpus = a.cpus {
            guard let value = Double(cpus), value >= 0 else {
                throw KeelError("podman_container: cpus '\(cpus)' is not a number of CPUs", expected: "a number such as 0.5 or 2", found: cpus)
            }
            args += ["--cpus", cpus]
            add("cpus", Self.cpuText(Int((value * 1e9).rounded())))
        }
        if let pids = a.pids_limit {
            guard let value = Int(pids) else {
                throw KeelError("podman_container: pids_limit '\(pids)' is not a number", expected: "an integer, -1 for unlimited", found: pids)
            }
            args += ["--pids-limit", pids]
            add("pids_limit", String(value < 0 ? 0 : value))
        }
        if let policy = a.restart_policy { args += ["--restart", policy]; add("restart_policy", Self.restartText(policy)) }
        if let readOnly = a.read_only { args += ["--read-only=\(readOnly)"]; add("read_only", String(readOnly)) }
        if let caps = a.cap_add {
            capAdd = caps.map(PodmanSettingText.capability)
            for cap in caps { args += ["--cap-add", cap] }
            add("cap_add", capAdd!.sorted().joined(separator: ", "))
        }
        if let caps = a.cap_drop {
            capDrop = caps.map(PodmanSettingText.capability)
            for cap in caps { args += ["--cap-drop", cap] }
            add("cap_drop", capDrop!.sorted().joined(separator: ", "))
        }
        if let options = a.security_opt {
            securityOpt = options
            for option in options { args += ["--security-opt", option] }
            add("security_opt", options.sorted().joined(separator: ", "))
        }
        if let driver = a.log_driver { args += ["--log-driver", driver]; add("log_driver", driver) }
        if a.log_opt != nil {
            let options = try Self.stringDict(a.log_opt, option: "log_opt")
            for key in options.keys.sorted() {
                let podmanKey = key.replacingOccurrences(of: "_", with: "-")
                guard ["path", "max-size", "tag"].contains(podmanKey) else {
                    throw KeelError("podman_container: log_opt '\(key)' is not supported", expected: "path, max_size or tag", found: key)
                }
                args += ["--log-opt", "\(podmanKey)=\(options[key]!)"]
                add("log_opt.\(key)", key == "max_size" ? String(try PodmanSettingText.bytes(options[key]!)) : options[key]!)
            }
        }
        if let hostname = a.hostname { args += ["--hostname", hostname]; add("hostname", hostname) }
        if a.etc_hosts != nil {
            let hosts = try Self.stringDict(a.etc_hosts, option: "etc_hosts")
            for name in hosts.keys.sorted() { args += ["--add-host", "\(name):\(hosts[name]!)"] }
            add("etc_hosts", hosts.keys.sorted().map { "\($0):\(hosts[$0]!)" }.joined(separator: ", "))
        }
        if let dns = a.dns {
            for server in dns { args += ["--dns", server] }
            add("dns", dns.joined(separator: ", "))
        }
        if let privileged = a.privileged { args += ["--privileged=\(privileged)"]; add("privileged", String(privileged)) }
        if let tty = a.tty { args += ["--tty=\(tty)"]; add("tty", String(tty)) }
        if let initProcess = a.`init` { args += ["--init=\(initProcess)"]; add("init", String(initProcess)) }
        if let signal = a.stop_signal { args += ["--stop-signal", String(signal)]; add("stop_signal", String(signal)) }
        if !a.detach {
            throw KeelError("podman_container: detach: false is not supported (the task would wait for the container to end)",
                            expected: "detach: true (the default)", found: "detach: false")
        }
        if let pod = a.pod { add("pod", pod) }
        if let timeout = a.stop_timeout { args += ["--stop-timeout", String(timeout)]; add("stop_timeout", String(timeout)) }
        if let entrypoint = a.entrypoint { args += ["--entrypoint", entrypoint]; add("entrypoint", entrypoint) }
        var command: [String]?
        if let value = a.command {
            switch value {
            case .list(let items): command = try items.map { item in
                    guard let text = item.scalarText else { throw KeelError("podman_container: command items must be strings", found: "\(item)") }
                    return text
                }
            case .null: command = nil
            default:
                guard let text = value.scalarText else { throw KeelError("podman_container: command must be a string or a list", found: value.typeName) }
                command = ShellWords.split(text)
            }
            if let command { add("command", Self.listText(command)) }
        }
        createArguments = args
        if let image = a.image { createArguments.append(image) }
        createArguments += command ?? []
    }

    static func stringDict(_ value: Value?, option: String) throws -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard let dict = value.dictValue else {
            throw KeelError("podman_container: \(option) must be a mapping of NAME: value", expected: "a dict", found: value.typeName)
        }
        var result: [String: String] = [:]
        for (key, item) in dict {
            guard let text = item.scalarText else {
                throw KeelError("podman_container: \(option).\(key) must be a string or a number", expected: "a scalar", found: item.typeName)
            }
            result[key] = text
        }
        return result
    }

    static func lines(_ dict: [String: String]) -> String { dict.keys.sorted().map { "\($0)=\(dict[$0]!)" }.joined(separator: "\n") }
    static func listText(_ list: [String]) -> String { Value.list(list.map { .string($0) }).jsonString() }
    static func cpuText(_ nanoCPUs: Int) -> String { String(format: "%g", Double(nanoCPUs) / 1e9) }

    /// `on-failure:3` stays, `no` and an empty policy are the same.
    static func restartText(_ policy: String) -> String { policy.isEmpty ? "no" : policy }

    /// `bridge` is podman's default network `podman`; modes (host, none, ...) stay as written.
    static func networkText(_ networks: [String]) -> String {
        networks.map { $0 == "bridge" || $0 == "default" ? "podman" : $0 }.sorted().joined(separator: ", ")
    }
}
