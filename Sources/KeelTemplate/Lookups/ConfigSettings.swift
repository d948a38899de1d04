import Foundation
import KeelBase

/// The ansible-core settings the `config` lookup answers: each one's environment variable and its
/// ansible-core 2.19 default. Keel reads no ansible.cfg here; the environment variable wins when set.
enum ConfigSettings {
    enum Kind { case string, int, bool, list, pathList }

    static let table: [String: (environment: String, kind: Kind, fallback: Value)] = [
        "DEFAULT_BECOME": ("ANSIBLE_BECOME", .bool, false),
        "DEFAULT_BECOME_METHOD": ("ANSIBLE_BECOME_METHOD", .string, "sudo"),
        "DEFAULT_BECOME_USER": ("ANSIBLE_BECOME_USER", .string, "root"),
        "DEFAULT_FORKS": ("ANSIBLE_FORKS", .int, 5),
        "DEFAULT_TIMEOUT": ("ANSIBLE_TIMEOUT", .int, 10),
        "DEFAULT_POLL_INTERVAL": ("ANSIBLE_POLL_INTERVAL", .int, 15),
        "DEFAULT_GATHERING": ("ANSIBLE_GATHERING", .string, "implicit"),
        "DEFAULT_HASH_BEHAVIOUR": ("ANSIBLE_HASH_BEHAVIOUR", .string, "replace"),
        "DEFAULT_MODULE_NAME": ("ANSIBLE_MODULE_NAME", .string, "command"),
        "DEFAULT_TRANSPORT": ("ANSIBLE_TRANSPORT", .string, "ssh"),
        "DEFAULT_REMOTE_USER": ("ANSIBLE_REMOTE_USER", .string, .null),
        "DEFAULT_KEEP_REMOTE_FILES": ("ANSIBLE_KEEP_REMOTE_FILES", .bool, false),
        "DEFAULT_PRIVATE_ROLE_VARS": ("ANSIBLE_PRIVATE_ROLE_VARS", .bool, false),
        "DEFAULT_JINJA2_NATIVE": ("ANSIBLE_JINJA2_NATIVE", .bool, true),
        "DEFAULT_UNDEFINED_VAR_BEHAVIOR": ("ANSIBLE_ERROR_ON_UNDEFINED_VARS", .bool, true),
        "DEFAULT_MANAGED_STR": ("ANSIBLE_MANAGED_STR", .string, "Ansible managed"),
        "HOST_KEY_CHECKING": ("ANSIBLE_HOST_KEY_CHECKING", .bool, true),
        "RETRY_FILES_ENABLED": ("ANSIBLE_RETRY_FILES_ENABLED", .bool, false),
        "ANSIBLE_FORCE_COLOR": ("ANSIBLE_FORCE_COLOR", .bool, false),
        "ANSIBLE_NOCOLOR": ("ANSIBLE_NOCOLOR", .bool, false),
        "DISPLAY_SKIPPED_HOSTS": ("ANSIBLE_DISPLAY_SKIPPED_HOSTS", .bool, true),
        "DEFAULT_ROLES_PATH": ("ANSIBLE_ROLES_PATH", .pathList, ["~/.ansible/roles", "/usr/share/ansible/roles", "/etc/ansible/roles"]),
    ]

    static var known: [String] { table.keys.sorted() }

    static func value(_ name: String) -> Value? {
        guard let setting = table[name] else { return nil }
        let raw = ProcessInfo.processInfo.environment[setting.environment]
        switch setting.kind {
        case .string: return raw.map(Value.string) ?? setting.fallback
        case .int: return raw.flatMap { Int($0) }.map(Value.int) ?? setting.fallback
        case .bool: return raw.flatMap { Value.string($0).ansibleBool }.map(Value.bool) ?? setting.fallback
        case .list: return raw.map { .list($0.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) }) } ?? setting.fallback
        case .pathList:
            // The first default lies in ANSIBLE_HOME (~/.ansible unless set), as ansible-core's default says.
            let home = ProcessInfo.processInfo.environment["ANSIBLE_HOME"] ?? "~/.ansible"
            let defaults = (setting.fallback.listValue ?? []).compactMap(\.stringValue).map { $0.replacingOccurrences(of: "~/.ansible", with: home) }
            let paths = raw.map { $0.split(separator: ":").map(String.init) } ?? defaults
            return .list(paths.map { .string(($0 as NSString).expandingTildeInPath) })
        }
    }
}
