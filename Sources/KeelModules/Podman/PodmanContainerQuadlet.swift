import Foundation
import KeelBase

/// podman_container's settings as a quadlet `[Container]` section, key for key as containers.podman's
/// `state: quadlet` renders them (its ContainerQuadlet: the same keys, in the same order, options
/// quadlet has no key for as `PodmanArgs=`), so playbooks written for it produce the same file.
enum PodmanContainerQuadlet {
    typealias Arguments = PodmanContainerModule.Arguments

    static func containerEntries(_ a: Arguments) throws -> [PodmanQuadlet.Entry] {
        var entries: [PodmanQuadlet.Entry] = []
        func add(_ key: String, _ value: String?) { if let value { entries.append(.init(key: key, value: value)) } }
        func add(_ key: String, _ values: [String]?) { for value in values ?? [] { add(key, value) } }
        func text(_ flag: Bool?) -> String? { flag.map { $0 ? "true" : "false" } }

        var user = a.user
        var group: String?
        if let given = a.user {
            let parts = given.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 2 { user = String(parts[0]); group = String(parts[1]) }
        }
        var securityOptions = a.security_opt ?? []
        let noNewPrivileges = securityOptions.contains("no-new-privileges")
        securityOptions.removeAll { $0 == "no-new-privileges" }

        add("AddCapability", a.cap_add.flatMap { $0.isEmpty ? nil : $0.joined(separator: " ") })
        add("ContainerName", a.name)
        add("DNS", a.dns)
        add("DropCapability", a.cap_drop.flatMap { $0.isEmpty ? nil : $0.joined(separator: " ") })
        add("Entrypoint", a.entrypoint)
        add("Environment", try pairs(a.env, option: "env").map { PodmanQuadlet.shellQuoted("\($0)=\($1)") })
        add("EnvironmentFile", a.env_file)
        add("AddHost", try pairs(a.etc_hosts, option: "etc_hosts").map { "\($0):\($1)" })
        add("Exec", try command(a.command))
        add("Group", group)
        add("HealthCmd", a.healthcheck)
        add("HealthInterval", a.healthcheck_interval)
        add("HealthRetries", a.healthcheck_retries.map(String.init))
        add("HealthStartPeriod", a.healthcheck_start_period)
        add("HealthTimeout", a.healthcheck_timeout)
        add("HostName", a.hostname)
        add("Image", a.image)
        add("IP", a.ip)
        add("Label", try pairs(a.label, option: "label").map { PodmanQuadlet.shellQuoted("\($0)=\($1)") })
        add("LogDriver", a.log_driver)
        add("LogOpt", try pairs(a.log_opt, option: "log_opt").map { "\($0 == "max_size" ? "max-size" : $0)=\($1)" })
        add("Mount", a.mount)
        add("Network", a.network)
        add("NetworkAlias", a.network_aliases)
        add("NoNewPrivileges", noNewPrivileges ? "true" : nil)
        add("PidsLimit", a.pids_limit)
        add("Pod", a.pod)
        add("PublishPort", a.publish)
        add("ReadOnly", text(a.read_only))
        add("RunInit", text(a.`init`))
        add("StopSignal", a.stop_signal.map(String.init))
        add("StopTimeout", a.stop_timeout.map(String.init))
        add("User", user)
        add("Volume", a.volume)
        add("WorkingDir", a.workdir)
        // What quadlet has no key for, as podman arguments (containers.podman's order).
        var podmanArguments: [String] = []
        if let cpus = a.cpus { podmanArguments.append("--cpus \(cpus)") }
        if let memory = a.memory { podmanArguments.append("--memory \(memory)") }
        if a.privileged == true { podmanArguments.append("--privileged") }
        if let policy = a.restart_policy, !policy.isEmpty { podmanArguments.append("--restart \(policy)") }
        podmanArguments += securityOptions.map { "--security-opt \($0)" }
        if a.tty == true { podmanArguments.append("--tty") }
        add("PodmanArgs", podmanArguments)
        return entries
    }

    /// `state: quadlet`: the `[Container]` section and `quadlet_options`, nothing else (the user's options
    /// add `[Install]` and the like), as containers.podman writes it.
    static func file(_ a: Arguments) throws -> PodmanQuadlet {
        PodmanQuadlet(header: "\(PodmanSystemdUnit.header) (state: quadlet)",
                      sections: [.init(name: "Container", entries: try containerEntries(a))], extraLines: a.quadlet_options ?? [])
    }

    /// `systemd:` on podman 4.4 and later: the same `[Container]` section inside a whole service: the unit's
    /// ordering, systemd's restart policy, and `[Install]` when the service is enabled (a generated unit
    /// cannot be `systemctl enable`d; the generator links it from WantedBy). Two differences from state
    /// quadlet: `pod` goes to podman as `--pod NAME` (quadlet's `Pod=` names a .pod unit, not a pod that
    /// podman_pod made), and `%` is written `%%` (systemd would read it as a specifier in the generated unit).
    static func service(_ a: Arguments, unit: PodmanSystemdUnit) throws -> PodmanQuadlet {
        var unitEntries: [PodmanQuadlet.Entry] = [
            .init(key: "Description", value: "Podman container \(a.name)"),
            .init(key: "Wants", value: (["network-online.target"] + unit.wants).joined(separator: " ")),
            .init(key: "After", value: (["network-online.target"] + unit.after).joined(separator: " ")),
        ]
        if !unit.requires.isEmpty { unitEntries.append(.init(key: "Requires", value: unit.requires.joined(separator: " "))) }
        var sections: [PodmanQuadlet.Section] = [
            .init(name: "Unit", entries: unitEntries),
            .init(name: "Container", entries: try serviceContainerEntries(a)),
            .init(name: "Service", entries: [
                .init(key: "Restart", value: unit.restart),
                .init(key: "RestartSec", value: String(unit.restartSeconds)),
                .init(key: "TimeoutStopSec", value: String(unit.stopTimeout + 30)),
            ]),
        ]
        if unit.enabled {
            sections.append(.init(name: "Install", entries: [.init(key: "WantedBy", value: unit.userScope ? "default.target" : "multi-user.target default.target")]))
        }
        return PodmanQuadlet(header: "\(PodmanSystemdUnit.header) for the container \(a.name); changes here are overwritten.",
                             sections: sections, extraLines: a.quadlet_options ?? [])
    }

    static func serviceContainerEntries(_ a: Arguments) throws -> [PodmanQuadlet.Entry] {
        var entries = try containerEntries(a)
        if let pod = a.pod {
            entries.removeAll { $0.key == "Pod" }
            entries.append(.init(key: "PodmanArgs", value: "--pod \(pod)"))
        }
        return entries.map { .init(key: $0.key, value: $0.value.replacingOccurrences(of: "%", with: "%%")) }
    }

    /// The service quadlet generates from `NAME.container`: `NAME.service`.
    static func serviceName(_ fileName: String) -> String {
        (fileName.hasSuffix(".container") ? String(fileName.dropLast(".container".count)) : fileName) + ".service"
    }

    /// A mapping's entries in the task's order, each value as the task wrote it (`2` and `"2"` alike).
    static func pairs(_ value: Value?, option: String) throws -> [(String, String)] {
        guard let value, !value.isNull else { return [] }
        guard let dict = value.dictValue else {
            throw KeelError("podman_container: \(option) must be a mapping of NAME: value", expected: "a dict", found: value.typeName)
        }
        return try dict.map { key, item in
            guard let text = item.scalarText else {
                throw KeelError("podman_container: \(option).\(key) must be a string or a number", expected: "a scalar", found: item.typeName)
            }
            return (key, text)
        }
    }

    /// `Exec=`: a list joined with spaces, a string as it is (containers.podman's rendering).
    static func command(_ value: Value?) throws -> String? {
        guard let value, !value.isNull else { return nil }
        if let list = value.listValue {
            return try list.map { item -> String in
                guard let text = item.scalarText else { throw KeelError("podman_container: command must be a string or a list of strings", found: item.typeName) }
                return text
            }.joined(separator: " ")
        }
        guard let text = value.scalarText else { throw KeelError("podman_container: command must be a string or a list", found: value.typeName) }
        return text
    }
}
