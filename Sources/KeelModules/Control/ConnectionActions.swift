import KeelBase
import OrderedCollections

/// `wait_for_connection`: wait until the host can be reached and runs a command (Ansible runs its ping
/// module; Keel, needing no Python, runs `true` through a new connection). Skipped in check mode.
public struct WaitForConnectionAction: ControlAction {
    public static let name = "wait_for_connection"
    public static let spec = ArgumentSpec([
        OptionSpec("connect_timeout", .int, default: 5, help: "Seconds one connection attempt may take."),
        OptionSpec("delay", .int, default: 0, help: "Seconds to wait before the first attempt."),
        OptionSpec("sleep", .int, default: 1, help: "Seconds between attempts."),
        OptionSpec("timeout", .int, default: 600, help: "Seconds to keep trying."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Wait until the host can be reached again",
        examples: "- wait_for_connection:\n    delay: 10\n    timeout: 300",
        deviations: ["The test is a shell command (`true`) through a new connection, not Ansible's ping module (no Python needed)."])

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        ControlOutcome(effects: [.waitForConnection(ConnectionWait(delay: a["delay"]?.intValue ?? 0, sleep: max(0, a["sleep"]?.intValue ?? 1),
                                                                   timeout: a["timeout"]?.intValue ?? 600,
                                                                   connectTimeout: a["connect_timeout"]?.intValue ?? 5))])
    }
}

/// `reboot`: reboot the host and wait until it is back: a new boot id, then `test_command` succeeds.
public struct RebootAction: ControlAction {
    public static let name = "reboot"
    public static let spec = ArgumentSpec([
        OptionSpec("pre_reboot_delay", .int, default: 0, help: "Seconds before rebooting (Linux's shutdown counts whole minutes, as in Ansible)."),
        OptionSpec("post_reboot_delay", .int, default: 0, help: "Seconds to wait after the reboot command before checking."),
        OptionSpec("reboot_timeout", .int, default: 600, aliases: ["reboot_timeout_sec"], help: "Seconds to wait for the host to come back and pass the test."),
        OptionSpec("connect_timeout", .int, aliases: ["connect_timeout_sec"], help: "Seconds one connection attempt may take."),
        OptionSpec("test_command", .string, default: "whoami", help: "Must succeed after the reboot."),
        OptionSpec("msg", .string, default: "Reboot initiated by Ansible", help: "Message to logged-in users."),
        OptionSpec("boot_time_command", .string, default: "cat /proc/sys/kernel/random/boot_id", help: "Prints something that changes with each boot."),
        OptionSpec("reboot_command", .string, help: "The command that reboots (default: shutdown -r with the delay and msg)."),
        OptionSpec("search_paths", .list(.string), default: ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"],
                   help: "Where to look for shutdown."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Reboot the host and wait until it is back",
        examples: "- reboot:\n    reboot_timeout: 900\n  when: kernel_updated is changed")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        for key in ["pre_reboot_delay", "post_reboot_delay"] where (a[key]?.intValue ?? 0) < 0 {
            return ControlOutcome(failed: true, message: "\(key) must be a positive integer")
        }
        return ControlOutcome(effects: [.reboot(RebootRequest(
            preRebootDelay: a["pre_reboot_delay"]?.intValue ?? 0, postRebootDelay: a["post_reboot_delay"]?.intValue ?? 0,
            rebootTimeout: a["reboot_timeout"]?.intValue ?? 600, connectTimeout: a["connect_timeout"]?.intValue,
            testCommand: a["test_command"]?.stringValue ?? "whoami",
            bootTimeCommand: a["boot_time_command"]?.stringValue ?? "cat /proc/sys/kernel/random/boot_id",
            message: a["msg"]?.stringValue ?? "Reboot initiated by Ansible", rebootCommand: a["reboot_command"]?.stringValue,
            searchPaths: a["search_paths"]?.listValue?.compactMap(\.stringValue) ?? ["/sbin", "/bin", "/usr/sbin", "/usr/bin", "/usr/local/sbin"]))])
    }
}
