/// One ansible.cfg setting Keel knows: Ansible's name for it (as `ansible-config dump` prints it), where
/// it is read from (ini section and key, environment variables; when several are set the last one listed
/// wins, as Ansible's loop over them does), and how its text is read (ansible/config/base.yml's types).
public struct AnsibleSetting: Sendable {
    public enum Kind: Sendable {
        case string
        case boolean
        case integer
        /// A path: `~` and `$VAR` expanded, relative to the ansible.cfg's directory when read from it.
        case path
        /// Comma-separated paths (inventory).
        case pathList
        /// Colon-separated paths (roles_path, collections_path).
        case pathSpec
        /// Comma-separated strings.
        case list
    }

    public let name: String
    public let ini: [(section: String, key: String)]
    public let environment: [String]
    public let kind: Kind
    /// An ssh connection plugin option: `keel config dump` prints it under "ssh:" as ansible-config does.
    public let isSSHPluginOption: Bool
    /// Accepted because playbooks' ansible.cfg files set it often, but it changes nothing in Keel.
    public let hasNoEffect: Bool

    init(_ name: String, _ ini: [(String, String)], env: [String], _ kind: Kind = .string, ssh: Bool = false, noEffect: Bool = false) {
        self.name = name
        self.ini = ini.map { (section: $0.0, key: $0.1) }
        self.environment = env
        self.kind = kind
        self.isSSHPluginOption = ssh
        self.hasNoEffect = noEffect
    }

    /// Every setting that Keel reads. Anything else in an ansible.cfg is reported as ignored.
    public static let all: [AnsibleSetting] = [
        .init("DEFAULT_HOST_LIST", [("defaults", "inventory"), ("defaults", "hostfile")], env: ["ANSIBLE_INVENTORY"], .pathList),
        .init("DEFAULT_ROLES_PATH", [("defaults", "roles_path")], env: ["ANSIBLE_ROLES_PATH"], .pathSpec),
        .init("COLLECTIONS_PATHS", [("defaults", "collections_paths"), ("defaults", "collections_path")],
              env: ["ANSIBLE_COLLECTIONS_PATHS", "ANSIBLE_COLLECTIONS_PATH"], .pathSpec),
        .init("DEFAULT_REMOTE_USER", [("defaults", "remote_user")], env: ["ANSIBLE_REMOTE_USER"]),
        .init("DEFAULT_PRIVATE_KEY_FILE", [("defaults", "private_key_file")], env: ["ANSIBLE_PRIVATE_KEY_FILE"], .path),
        .init("HOST_KEY_CHECKING", [("defaults", "host_key_checking")], env: ["ANSIBLE_HOST_KEY_CHECKING"], .boolean),
        .init("DEFAULT_FORKS", [("defaults", "forks")], env: ["ANSIBLE_FORKS"], .integer),
        .init("DEFAULT_TIMEOUT", [("defaults", "timeout")], env: ["ANSIBLE_TIMEOUT"], .integer),
        .init("DEFAULT_GATHERING", [("defaults", "gathering")], env: ["ANSIBLE_GATHERING"]),
        .init("DEFAULT_VAULT_PASSWORD_FILE", [("defaults", "vault_password_file")], env: ["ANSIBLE_VAULT_PASSWORD_FILE"], .path),
        .init("DEFAULT_VAULT_IDENTITY_LIST", [("defaults", "vault_identity_list")], env: ["ANSIBLE_VAULT_IDENTITY_LIST"], .list),
        .init("DEFAULT_STDOUT_CALLBACK", [("defaults", "stdout_callback")], env: ["ANSIBLE_STDOUT_CALLBACK"]),
        .init("DEFAULT_BECOME", [("privilege_escalation", "become")], env: ["ANSIBLE_BECOME"], .boolean),
        .init("DEFAULT_BECOME_METHOD", [("privilege_escalation", "become_method")], env: ["ANSIBLE_BECOME_METHOD"]),
        .init("DEFAULT_BECOME_USER", [("privilege_escalation", "become_user")], env: ["ANSIBLE_BECOME_USER"]),
        .init("DEFAULT_BECOME_ASK_PASS", [("privilege_escalation", "become_ask_pass")], env: ["ANSIBLE_BECOME_ASK_PASS"], .boolean),
        .init("ssh_args", [("ssh_connection", "ssh_args")], env: ["ANSIBLE_SSH_ARGS"], ssh: true),
        .init("ssh_common_args", [("ssh_connection", "ssh_common_args")], env: ["ANSIBLE_SSH_COMMON_ARGS"], ssh: true),
        .init("ssh_extra_args", [("ssh_connection", "ssh_extra_args")], env: ["ANSIBLE_SSH_EXTRA_ARGS"], ssh: true),
        // Keel keeps one SSH session per host and sends modules without Python, so these change nothing.
        .init("pipelining", [("connection", "pipelining"), ("ssh_connection", "pipelining")],
              env: ["ANSIBLE_PIPELINING", "ANSIBLE_SSH_PIPELINING"], .boolean, ssh: true, noEffect: true),
        .init("control_path", [("ssh_connection", "control_path")], env: ["ANSIBLE_SSH_CONTROL_PATH"], ssh: true, noEffect: true),
        .init("control_path_dir", [("ssh_connection", "control_path_dir")], env: ["ANSIBLE_SSH_CONTROL_PATH_DIR"], .path, ssh: true, noEffect: true),
    ]

    public static func named(_ name: String) -> AnsibleSetting? { all.first { $0.name == name } }
}
