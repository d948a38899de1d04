import Foundation
import KeelBase

/// A container as one `podman container inspect` shows it, read into the same normalized text
/// `PodmanContainerDesired` writes, with podman's defaults and the image's own settings taken out so
/// that only what the task could have set remains.
struct PodmanContainerObserved: Sendable, Equatable {
    var inspect: Value
    /// The `podman image inspect` object of the image the container runs (its Config.Env, Labels, Volumes
    /// are defaults, not settings).
    var image: Value?

    var id: String { inspect[path: "Id"]?.stringValue ?? "" }
    var imageID: String { inspect[path: "Image"]?.stringValue ?? "" }
    var imageName: String { inspect[path: "ImageName"]?.stringValue ?? "" }
    var status: String { inspect[path: "State", "Status"]?.stringValue ?? "" }
    var running: Bool { inspect[path: "State", "Running"]?.boolValue ?? false }
    /// "healthy", "unhealthy", "starting", or "" without a healthcheck (podman 4 writes Health or Healthcheck).
    var health: String {
        (inspect[path: "State", "Health", "Status"] ?? inspect[path: "State", "Healthcheck", "Status"])?.stringValue ?? ""
    }

    /// The text of `field` as the desired side writes it, nil when podman shows nothing for it.
    func text(_ field: String, desired: PodmanContainerDesired) -> String {
        let config = inspect[path: "Config"]
        let hostConfig = inspect[path: "HostConfig"]
        switch field {
        case "env": return PodmanContainerDesired.lines(settings(config?[path: "Env"]?.stringList ?? [], image: image?[path: "Config", "Env"]?.stringList ?? image?[path: "Env"]?.stringList ?? [],
                                                                 defaults: ["container", "HOSTNAME", "HOME", "TERM", "PATH"], desired: desired.text("env")))
        case "labels": return PodmanContainerDesired.lines(labels(config?[path: "Labels"], desired: desired.text("labels")))
        case "publish": return ports(hostConfig?[path: "PortBindings"], desired: desired)
        case "volumes": return mounts(desired: desired)
        case "network": return networkText()
        case "network_aliases":
            let shortID = String(id.prefix(12))
            let name = inspect[path: "Name"]?.stringValue ?? ""
            return (firstNetwork?[path: "Aliases"]?.stringList ?? []).filter { $0 != shortID && $0 != name && $0 != id }.sorted().joined(separator: ", ")
        case "ip": return firstNetwork?[path: "IPAddress"]?.stringValue ?? ""
        case "user": return config?[path: "User"]?.stringValue ?? ""
        case "workdir": return config?[path: "WorkingDir"]?.stringValue ?? ""
        case "healthcheck":
            let test = config?[path: "Healthcheck", "Test"]?.stringList ?? []
            return test.first == "CMD-SHELL" || test.first == "CMD" ? test.dropFirst().joined(separator: " ") : test.joined(separator: " ")
        case "healthcheck_interval": return healthDuration("Interval")
        case "healthcheck_timeout": return healthDuration("Timeout")
        case "healthcheck_start_period": return healthDuration("StartPeriod")
        case "healthcheck_retries": return config?[path: "Healthcheck", "Retries"]?.integer.map(String.init) ?? ""
        case "memory": return String(hostConfig?[path: "Memory"]?.integer ?? 0)
        case "cpus": return PodmanContainerDesired.cpuText(hostConfig?[path: "NanoCpus"]?.integer ?? 0)
        case "pids_limit": return String(hostConfig?[path: "PidsLimit"]?.integer ?? 0)
        case "restart_policy":
            let name = hostConfig?[path: "RestartPolicy", "Name"]?.stringValue ?? ""
            let retries = hostConfig?[path: "RestartPolicy", "MaximumRetryCount"]?.integer ?? 0
            return PodmanContainerDesired.restartText(name == "on-failure" && retries > 0 ? "on-failure:\(retries)" : name)
        case "read_only": return String(hostConfig?[path: "ReadonlyRootfs"]?.boolValue ?? false)
        case "cap_add": return capAdd(desired: desired.capAdd ?? [])
        case "cap_drop": return capDrop(desired: desired.capDrop ?? [])
        case "security_opt":
            // Podman lists options it derived itself too (labels, masks): a given option must be there.
            let observed = Set(hostConfig?[path: "SecurityOpt"]?.stringList ?? [])
            let wanted = desired.securityOpt ?? []
            return wanted.allSatisfy { observed.contains($0) } ? wanted.sorted().joined(separator: ", ") : observed.sorted().joined(separator: ", ")
        case "log_driver": return hostConfig?[path: "LogConfig", "Type"]?.stringValue ?? ""
        case "log_opt.path": return hostConfig?[path: "LogConfig", "Path"]?.stringValue ?? ""
        case "log_opt.tag": return hostConfig?[path: "LogConfig", "Tag"]?.stringValue ?? ""
        case "log_opt.max_size":
            let size = hostConfig?[path: "LogConfig", "Size"]
            return size?.integer.map(String.init) ?? (size?.stringValue).flatMap { try? PodmanSettingText.bytes($0) }.map(String.init) ?? ""
        case "hostname": return config?[path: "Hostname"]?.stringValue ?? ""
        case "etc_hosts": return (hostConfig?[path: "ExtraHosts"]?.stringList ?? []).sorted().joined(separator: ", ")
        case "dns": return (hostConfig?[path: "Dns"]?.stringList ?? []).joined(separator: ", ")
        case "privileged": return String(hostConfig?[path: "Privileged"]?.boolValue ?? false)
        case "tty": return String(config?[path: "Tty"]?.boolValue ?? false)
        case "init": return String(hostConfig?[path: "Init"]?.boolValue ?? false)
        case "stop_signal": return config?[path: "StopSignal"]?.integer.map(String.init) ?? ""
        case "pod": return inspect[path: "Pod"]?.stringValue ?? ""
        case "stop_timeout": return config?[path: "StopTimeout"]?.integer.map(String.init) ?? ""
        case "entrypoint":
            let value = config?[path: "Entrypoint"]
            return value?.stringList?.joined(separator: " ") ?? value?.stringValue ?? ""
        case "command": return PodmanContainerDesired.listText(config?[path: "Cmd"]?.stringList ?? [])
        default: return ""
        }
    }

    private var firstNetwork: Value? {
        guard let networks = inspect[path: "NetworkSettings", "Networks"]?.dictValue, let first = networks.keys.sorted().first else { return nil }
        return networks[first]
    }

    /// The mode podman shows (host, none, slirp4netns, container:...) or the joined networks' names.
    private func networkText() -> String {
        let mode = inspect[path: "HostConfig", "NetworkMode"]?.stringValue ?? ""
        let networks = inspect[path: "NetworkSettings", "Networks"]?.dictValue?.keys.sorted() ?? []
        if mode == "bridge" || (!networks.isEmpty && mode != "host" && mode != "none") { return networks.joined(separator: ", ") }
        return mode
    }

    /// `NAME=value` settings minus what the image sets itself and what podman adds, unless the task names them.
    private func settings(_ observed: [String], image: [String], defaults: Set<String>, desired: String?) -> [String: String] {
        let wanted = Set((desired ?? "").split(separator: "\n").map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        let imageSet = Set(image)
        var result: [String: String] = [:]
        for entry in observed {
            let pair = entry.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let key = pair[0]
            if !wanted.contains(key) && (imageSet.contains(entry) || defaults.contains(key)) { continue }
            result[key] = pair.count == 2 ? pair[1] : ""
        }
        return result
    }

    private func labels(_ value: Value?, desired: String?) -> [String: String] {
        let wanted = Set((desired ?? "").split(separator: "\n").map { String($0.split(separator: "=", maxSplits: 1).first ?? "") })
        let imageLabels = (image?[path: "Config", "Labels"] ?? image?[path: "Labels"])?.dictValue ?? [:]
        var result: [String: String] = [:]
        for (key, item) in value?.dictValue ?? [:] {
            let text = item.scalarText ?? ""
            if !wanted.contains(key) && (imageLabels[key]?.scalarText == text || key.hasPrefix("io.podman.") || key == "PODMAN_SYSTEMD_UNIT") { continue }
            result[key] = text
        }
        return result
    }

    private func ports(_ bindings: Value?, desired: PodmanContainerDesired) -> String {
        var ports: [String] = []
        for (key, hosts) in bindings?.dictValue ?? [:] {
            let parts = key.split(separator: "/")
            guard let container = Int(parts.first ?? "") else { continue }
            let proto = parts.count > 1 ? String(parts[1]) : "tcp"
            for host in hosts.listValue ?? [] {
                let ip = host[path: "HostIp"]?.stringValue ?? ""
                let shownIP = (ip == "0.0.0.0" || ip == "::") ? "" : ip
                var entry = PodmanSettingText.port(ip: shownIP, host: host[path: "HostPort"]?.stringValue ?? "", container: container, proto: proto)
                let random = PodmanSettingText.port(ip: shownIP, host: "", container: container, proto: proto)
                if desired.randomHostPorts.contains(random) { entry = random }
                ports.append(entry)
            }
        }
        return ports.sorted().joined(separator: ", ")
    }

    /// With read_only, podman mounts tmpfs on these (read_only_tmpfs, on by default).
    static let readOnlyTmpfs: Set<String> = ["/run", "/tmp", "/var/tmp", "/dev/shm"]

    private func mounts(desired: PodmanContainerDesired) -> String {
        let imageVolumes = Set((image?[path: "Config", "Volumes"] ?? image?[path: "Volumes"])?.dictValue?.keys.map { $0 } ?? [])
        let wanted = Set((desired.text("volumes") ?? "").components(separatedBy: ", ").compactMap { $0.components(separatedBy: " -> ").last?.replacingOccurrences(of: " ro", with: "") })
        var mounts: [String: String] = [:]
        for mount in inspect[path: "Mounts"]?.listValue ?? [] {
            let type = mount[path: "Type"]?.stringValue ?? ""
            let destination = mount[path: "Destination"]?.stringValue ?? ""
            if imageVolumes.contains(destination) && !wanted.contains(destination) { continue }
            let readOnly = !(mount[path: "RW"]?.boolValue ?? true)
            var source = type == "volume" ? (mount[path: "Name"]?.stringValue ?? "") : (mount[path: "Source"]?.stringValue ?? "")
            if type == "volume" && desired.anonymousVolumeDestinations.contains(destination) { source = "" }
            if type == "tmpfs" { source = "" }
            if type == "tmpfs" && Self.readOnlyTmpfs.contains(destination) && !wanted.contains(destination) { continue }
            mounts[destination] = PodmanSettingText.mount(type: type, source: source, destination: destination, readOnly: readOnly)
        }
        for (destination, options) in inspect[path: "HostConfig", "Tmpfs"]?.dictValue ?? [:]
        where mounts[destination] == nil && !(Self.readOnlyTmpfs.contains(destination) && !wanted.contains(destination)) {
            let readOnly = (options.stringValue ?? "").split(separator: ",").contains("ro")
            mounts[destination] = PodmanSettingText.mount(type: "tmpfs", source: "", destination: destination, readOnly: readOnly)
        }
        return mounts.keys.sorted().map { mounts[$0]! }.joined(separator: ", ")
    }

    /// Added capabilities as the task writes them: the given ones podman has (in its effective set) and
    /// any extra one podman added; a capability in podman's default set is not listed as added.
    private func capAdd(desired: [String]) -> String {
        let effective = Set((inspect[path: "EffectiveCaps"]?.stringList ?? []) + (inspect[path: "HostConfig", "CapAdd"]?.stringList ?? []))
        let added = Set(inspect[path: "HostConfig", "CapAdd"]?.stringList ?? [])
        let present = desired.filter { effective.contains($0) || ($0 == "ALL" && added.contains("ALL")) }
        let extra = added.filter { !desired.contains($0) }
        return (present + extra).sorted().joined(separator: ", ")
    }

    /// Dropped capabilities: the given ones podman does not grant. (HostConfig.CapDrop also lists the
    /// capabilities podman leaves out by default, so it cannot show what the task dropped.)
    private func capDrop(desired: [String]) -> String {
        let effective = Set(inspect[path: "EffectiveCaps"]?.stringList ?? [])
        return desired.filter { $0 == "ALL" ? effective.isEmpty : !effective.contains($0) }.sorted().joined(separator: ", ")
    }

    private func healthDuration(_ key: String) -> String {
        guard let value = inspect[path: "Config", "Healthcheck", key] else { return "" }
        if let ns = value.integer { return PodmanSettingText.duration(ns) }
        return value.stringValue.flatMap { try? PodmanSettingText.nanoseconds($0, option: key) }.map(PodmanSettingText.duration) ?? ""
    }
}
