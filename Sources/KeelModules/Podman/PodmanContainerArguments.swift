import KeelBase

extension PodmanContainerModule {
    /// containers.podman.podman_container's names and aliases for the settings Keel manages, plus Keel's
    /// own `systemd` and health gate options.
    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The container's name.") var name: String
        @Option("image", .string, help: "The image (repository:tag, or an ID). Needed unless state is absent, or the container exists and is only started or stopped.") var image: String?
        @Option("state", choices: ContainerState.self, default: .started, help: "`started`: exists as specified and runs; `present`/`created`: exists as specified (a new one is created, not started); `stopped`: exists and does not run; `absent`: removed; `quadlet`: only write the quadlet file NAME.container (containers.podman's state), the container is not touched.") var state: ContainerState
        @Option("command", .raw, help: "The command (a string split like a shell would, or a list): replaces the image's CMD.") var command: Value?
        @Option("entrypoint", .string, help: "The entrypoint, replacing the image's ENTRYPOINT (one string, not split).") var entrypoint: String?
        @Option("env", .dict, help: "Environment variables, NAME: value.") var env: Value?
        @Option("env_file", .list(.path), aliases: ["env_files"], help: "Files of NAME=value lines on the host; their contents are compared, so an edited file recreates the container.") var env_file: [String]?
        @Option("publish", .list(.string), aliases: ["ports", "published", "published_ports"], help: "Published ports: `[ip:][hostPort:]containerPort[/proto]`, ranges allowed.") var publish: [String]?
        @Option("volume", .list(.string), aliases: ["volumes"], help: "Volumes: `SOURCE:DEST[:ro|rw,...]` (SOURCE a host path or a volume name) or `DEST` (anonymous).") var volume: [String]?
        @Option("mount", .list(.string), aliases: ["mounts"], help: "Mounts: `type=bind|volume|tmpfs,source=...,destination=...[,ro=true]`.") var mount: [String]?
        @Option("network", .list(.string), aliases: ["net", "network_mode"], help: "Networks to join (names), or one of bridge, host, none, container:NAME, ns:PATH, slirp4netns.") var network: [String]?
        @Option("network_aliases", .list(.string), aliases: ["network_alias"], help: "DNS aliases of the container on its network.") var network_aliases: [String]?
        @Option("ip", .string, help: "A static IPv4 address on the container's (first) network.") var ip: String?
        @Option("label", .dict, aliases: ["labels"], help: "Labels, NAME: value.") var label: Value?
        @Option("user", .string, help: "The user (and group) the command runs as: name, UID, or UID:GID.") var user: String?
        @Option("workdir", .string, aliases: ["working_dir"], help: "The working directory inside the container.") var workdir: String?
        @Option("healthcheck", .string, aliases: ["health_cmd"], help: "The healthcheck command, run by a shell in the container (CMD-SHELL).") var healthcheck: String?
        @Option("healthcheck_interval", .string, aliases: ["health_interval"], help: "Time between healthchecks (Go duration: 30s, 1m).") var healthcheck_interval: String?
        @Option("healthcheck_retries", .int, aliases: ["health_retries"], help: "Failures in a row before the container is unhealthy.") var healthcheck_retries: Int?
        @Option("healthcheck_start_period", .string, aliases: ["health_start_period"], help: "Grace time after start before failures count (Go duration).") var healthcheck_start_period: String?
        @Option("healthcheck_timeout", .string, aliases: ["health_timeout"], help: "How long one healthcheck may take (Go duration).") var healthcheck_timeout: String?
        @Option("memory", .string, help: "Memory limit: a number of bytes or with a unit b, k, m, g (256m).") var memory: String?
        @Option("cpus", .string, help: "Number of CPUs (1.5).") var cpus: String?
        @Option("pids_limit", .string, help: "Maximum number of processes; -1 for unlimited.") var pids_limit: String?
        @Option("restart_policy", .string, help: "no, always, unless-stopped, on-failure[:max_retries]. With `systemd`, systemd restarts the service; leave this unset.") var restart_policy: String?
        @Option("read_only", .bool, help: "Mount the root filesystem read-only.") var read_only: Bool?
        @Option("cap_add", .list(.string), aliases: ["capabilities"], help: "Capabilities to add (NET_ADMIN or CAP_NET_ADMIN).") var cap_add: [String]?
        @Option("cap_drop", .list(.string), help: "Capabilities to drop.") var cap_drop: [String]?
        @Option("security_opt", .list(.string), help: "Security options (seccomp=unconfined, no-new-privileges, label=disable).") var security_opt: [String]?
        @Option("log_driver", .string, help: "Log driver: k8s-file, journald, json-file, none.") var log_driver: String?
        @Option("log_opt", .dict, aliases: ["log_options"], help: "Log options: path, max_size, tag.") var log_opt: Value?
        @Option("pod", .string, help: "The pod (existing) the container joins.") var pod: String?
        @Option("recreate", .bool, default: false, help: "Recreate the container even when nothing differs.") var recreate: Bool
        @Option("force_restart", .bool, default: false, aliases: ["restart"], help: "Restart the container (or start it) even when nothing differs.") var force_restart: Bool
        @Option("hostname", .string, help: "The container's host name (podman's default is the short container ID).") var hostname: String?
        @Option("etc_hosts", .dict, aliases: ["add_hosts"], help: "Extra /etc/hosts entries, NAME: address.") var etc_hosts: Value?
        @Option("dns", .list(.string), aliases: ["dns_servers"], help: "DNS servers of the container.") var dns: [String]?
        @Option("privileged", .bool, help: "Give the container every capability and device.") var privileged: Bool?
        @Option("tty", .bool, help: "Allocate a terminal.") var tty: Bool?
        @Option("init", .bool, help: "Run an init (catatonit) as PID 1 that reaps zombies and forwards signals.") var `init`: Bool?
        @Option("stop_signal", .int, help: "The signal number that stops the container (15 = SIGTERM).") var stop_signal: Int?
        @Option("detach", .bool, default: true, help: "Containers always run detached; false is refused.") var detach: Bool
        @Option("stop_timeout", .int, help: "Seconds podman waits after SIGTERM before SIGKILL when stopping.") var stop_timeout: Int?
        @Option("executable", .string, default: "podman", help: "The podman binary on the host.") var executable: String
        @Option("systemd", .dict, help: "Run the container as a systemd service: {enabled: true, restart: on-failure, restart_sec: 5, stop_timeout: 10, after: [], wants: [], requires: [], unit_dir: /etc/systemd/system}. The unit is converged in the same step; `{}` takes every default.") var systemd: Value?
        @Option("wait_healthy", .bool, default: false, help: "After starting the container, wait until its healthcheck passes (fails after wait_timeout); when nothing was started, fail if podman reports it unhealthy.") var wait_healthy: Bool
        @Option("wait_port", .int, help: "After starting the container, wait until this TCP port answers on 127.0.0.1 of the host (fails after wait_timeout).") var wait_port: Int?
        @Option("wait_timeout", .int, default: 60, help: "Seconds the health gate waits.") var wait_timeout: Int

        @Option("quadlet_dir", .path, help: "Where quadlet files go (state quadlet, and `systemd` on podman 4.4 and later): /etc/containers/systemd for root, ~/.config/containers/systemd for a rootless user by default.") var quadlet_dir: String?
        @Option("quadlet_filename", .string, help: "The quadlet file's name (`.container` is added when missing); NAME.container by default.") var quadlet_filename: String?
        @Option("quadlet_file_mode", .string, help: "The quadlet file's permissions (octal, 0640); a new file gets 0640, an existing one keeps its mode unless this is given.") var quadlet_file_mode: String?
        @Option("quadlet_options", .list(.string), help: "Lines appended to the quadlet file as given (`[Install]`, `WantedBy=default.target`).") var quadlet_options: [String]?

        public init() {}
    }

    public enum ContainerState: String, OptionChoice { case present, started, stopped, absent, created, quadlet }
}
