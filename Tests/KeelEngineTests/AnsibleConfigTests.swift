import Foundation
import KeelBase
import KeelTestSupport
import KeelTransport
import Testing
@testable import KeelEngine

/// ansible.cfg as Ansible reads it: configparser's syntax, the file Ansible would pick, the environment
/// over the file, paths relative to the file, and the settings Keel ignores named, not dropped.
@Suite("ansible.cfg") struct AnsibleConfigTests {
    func temporaryDirectory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cfg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    // MARK: the INI syntax

    @Test func readsConfigParserSyntax() throws {
        let file = try IniFile(text: """
            # a comment
            ; another
            [defaults]
            Inventory = hosts.ini ; inline comment after a space
            remote_user: deploy
            ssh_note = a;b # hash is not an inline comment
            roles_path = one
               two
            \tthree

            [DEFAULT]
            timeout = 30
            [privilege_escalation]
            become=yes
            """, path: "/p/ansible.cfg")
        #expect(file.rawEntry("defaults", "inventory")?.value == "hosts.ini")
        #expect(file.rawEntry("defaults", "inventory")?.line == 4)
        #expect(file.rawEntry("defaults", "remote_user")?.value == "deploy")
        #expect(file.rawEntry("defaults", "ssh_note")?.value == "a;b # hash is not an inline comment")
        #expect(file.rawEntry("defaults", "roles_path")?.value == "one\ntwo\nthree")
        #expect(file.rawEntry("privilege_escalation", "become")?.value == "yes")
        #expect(file.rawEntry("privilege_escalation", "timeout")?.value == "30", "DEFAULT's keys show through")
        #expect(file.rawEntry("nosuch", "timeout") == nil)
        #expect(file.allKeys.map { "[\($0.section)]\($0.key)" } == ["[defaults]inventory", "[defaults]remote_user", "[defaults]ssh_note",
                                                                    "[defaults]roles_path", "[privilege_escalation]become", "[DEFAULT]timeout"])
    }

    @Test func percentSignsStayAsWritten() throws {
        // Ansible reads values raw: ansible-config dump shows %(x)s unchanged.
        let file = try IniFile(text: "[privilege_escalation]\nbecome_user = %(x)s\nx = admin\n", path: "/p/ansible.cfg")
        #expect(file.rawEntry("privilege_escalation", "become_user")?.value == "%(x)s")
    }

    @Test func strictErrorsAreLocated() {
        #expect(throws: KeelError.self) { try IniFile(text: "[defaults]\nforks = 1\nforks = 2\n", path: "/p/a.cfg") }
        #expect(throws: KeelError.self) { try IniFile(text: "[defaults]\n[defaults]\n", path: "/p/a.cfg") }
        #expect(throws: KeelError.self) { try IniFile(text: "forks = 1\n", path: "/p/a.cfg") }
        do {
            _ = try IniFile(text: "[defaults]\nforks = 1\njust words\n", path: "/p/a.cfg")
            Issue.record("a line without = or : must fail")
        } catch let error as KeelError {
            #expect(error.location == SourceLocation(file: "/p/a.cfg", line: 3, column: 1))
        } catch { Issue.record("\(error)") }
    }

    // MARK: precedence and types

    func config(_ text: String, environment: [String: String] = [:], directory: String = "/proj") throws -> AnsibleConfig {
        try AnsibleConfig(file: IniFile(text: text, path: directory + "/ansible.cfg"), environment: environment, currentDirectory: "/cwd")
    }

    @Test func environmentWinsOverTheFile() throws {
        let text = "[defaults]\nforks = 20\nremote_user = \"deploy\"\nhost_key_checking = False\n"
        let fromFile = try config(text)
        #expect(fromFile.int("DEFAULT_FORKS") == 20)
        #expect(fromFile.string("DEFAULT_REMOTE_USER") == "deploy", "ini values lose their quotes")
        #expect(fromFile.bool("HOST_KEY_CHECKING") == false)
        #expect(fromFile.values["DEFAULT_FORKS"]?.origin == "/proj/ansible.cfg")
        let overridden = try config(text, environment: ["ANSIBLE_FORKS": "7", "ANSIBLE_HOST_KEY_CHECKING": "yes"])
        #expect(overridden.int("DEFAULT_FORKS") == 7)
        #expect(overridden.values["DEFAULT_FORKS"]?.origin == "env: ANSIBLE_FORKS")
        #expect(overridden.bool("HOST_KEY_CHECKING") == true)
        #expect(try config("").values.isEmpty, "nothing set: every default stays")
    }

    @Test func pathsAreRelativeToTheFileAndEnvironmentPathsToTheCurrentDirectory() throws {
        let home = NSHomeDirectory()
        let cfg = try config("""
            [defaults]
            inventory = hosts.ini, ~/other
            roles_path = roles:/opt/roles:../shared
            private_key_file = keys/id
            """)
        #expect(cfg.list("DEFAULT_HOST_LIST") == ["/proj/hosts.ini", home + "/other"])
        #expect(cfg.list("DEFAULT_ROLES_PATH") == ["/proj/roles", "/opt/roles", "/shared"])
        #expect(cfg.string("DEFAULT_PRIVATE_KEY_FILE") == "/proj/keys/id")
        let env = try config("", environment: ["ANSIBLE_ROLES_PATH": "r1:$SUB/r2", "SUB": "/s"])
        #expect(env.list("DEFAULT_ROLES_PATH") == ["/cwd/r1", "/s/r2"])
    }

    @Test func badValuesAreLocatedErrors() {
        #expect(throws: KeelError.self) { try config("[defaults]\nforks = many\n") }
        #expect(throws: KeelError.self) { try config("[defaults]\nhost_key_checking = maybe\n") }
        var options = RunOptions()
        #expect(throws: KeelError.self) { try config("[defaults]\ngathering = sometimes\n").apply(to: &options) }
        #expect(throws: KeelError.self) { try config("[privilege_escalation]\nbecome_method = pbrun\n").apply(to: &options) }
    }

    @Test func unknownSettingsAreListedOnceAsIgnored() throws {
        let cfg = try config("""
            [defaults]
            nocows = 1
            forks = 5
            retry_files_enabled = False
            stdout_callback = community.general.unixy_fancy
            [ssh_connection]
            ssh_args = -C -o ControlMaster=auto -o ControlPersist=60s -o ConnectTimeout=5
            pipelining = True
            [colors]
            ok = green
            """)
        #expect(cfg.ignored == ["[defaults]nocows", "[defaults]retry_files_enabled", "[colors]ok"])
        #expect(cfg.warnings.contains("ignored ansible.cfg settings: [defaults]nocows, [defaults]retry_files_enabled, [colors]ok"))
        #expect(cfg.warnings.contains("ignored ssh options from ssh_args/ssh_common_args/ssh_extra_args: -C, ControlMaster"))
        #expect(cfg.warnings.contains { $0.contains("stdout_callback 'community.general.unixy_fancy'") })
        #expect(cfg.withoutEffect == ["pipelining"])
    }

    @Test func settingsBecomeRunOptions() throws {
        let cfg = try config("""
            [defaults]
            inventory = inv.ini
            roles_path = roles
            collections_path = cols
            remote_user = deploy
            private_key_file = /k/id
            host_key_checking = false
            forks = 3
            timeout = 25
            gathering = explicit
            [privilege_escalation]
            become = true
            become_method = su
            become_user = admin
            [ssh_connection]
            ssh_args = -o ServerAliveInterval=9
            ssh_common_args = -o ConnectTimeout=4
            ssh_extra_args = -J jump
            """)
        var options = RunOptions()
        options.rolesPath = ["from-cli"]
        try cfg.apply(to: &options)
        #expect(options.inventorySources == ["/proj/inv.ini"])
        #expect(options.rolesPath == ["/proj/roles", "from-cli"])
        #expect(options.collectionsPath == ["/proj/cols"])
        #expect(options.remoteUser == "deploy")
        #expect(options.privateKeyFile == "/k/id")
        #expect(options.hostKeyPolicy == .off)
        #expect(options.forks == 3)
        #expect(options.connectTimeout == 25)
        #expect(options.gathering == .explicit)
        #expect(options.become && options.becomeMethod == "su" && options.becomeUser == "admin")
        #expect(options.sshArgs == "-o ServerAliveInterval=9" && options.sshCommonArgs == "-o ConnectTimeout=4" && options.sshExtraArgs == "-J jump")
        // Defaults, not overrides: a host's own variables still win.
        let filled = ConnectionDefaults(options).filling(["ansible_user": .string("web"), "ansible_ssh_common_args": .string("-o X=1")], host: "h")
        #expect(filled["ansible_user"] == .string("web"))
        #expect(filled["ansible_ssh_common_args"] == .string("-o X=1"))
        #expect(filled["ansible_ssh_args"] == .string("-o ServerAliveInterval=9"))
        #expect(filled["ansible_ssh_private_key_file"] == .string("/k/id"))
    }

    @Test func vaultSettingsFeedTheSameIdentityListWithTheEnvironmentFirst() throws {
        let cfg = try config("[defaults]\nvault_password_file = pass.txt\nvault_identity_list = a@x, b@y\n")
        let env = cfg.vaultEnvironment(["PATH": "/bin"])
        #expect(env["ANSIBLE_VAULT_PASSWORD_FILE"] == "/proj/pass.txt")
        #expect(env["ANSIBLE_VAULT_IDENTITY_LIST"] == "a@x,b@y")
        let overridden = try config("[defaults]\nvault_password_file = pass.txt\n", environment: ["ANSIBLE_VAULT_PASSWORD_FILE": "/e/p"])
        #expect(overridden.vaultEnvironment(["ANSIBLE_VAULT_PASSWORD_FILE": "/e/p"])["ANSIBLE_VAULT_PASSWORD_FILE"] == "/e/p")
    }

    @Test func stdoutCallbacksMapToKeelOutputs() {
        #expect(AnsibleConfig.output(forCallback: "yaml") == "human")
        #expect(AnsibleConfig.output(forCallback: "ansible.builtin.default") == "human")
        #expect(AnsibleConfig.output(forCallback: "ansible.posix.json") == "json")
        #expect(AnsibleConfig.output(forCallback: "community.general.yaml") == "human")
        #expect(AnsibleConfig.output(forCallback: "splunk") == nil)
    }

    @Test func sshArgumentsKeelDoesNotUseAreNamed() {
        #expect(SSHArguments.ignoredOptions(["-C -o ControlMaster=auto -oStrictHostKeyChecking=no -o 'ProxyJump bastion' -J x -o ForwardAgent=yes"])
                == ["-C", "ControlMaster", "ForwardAgent"])
    }

    // MARK: which file

    @Test func findsTheFileAsAnsibleDoes() throws {
        let home = try temporaryDirectory()
        let project = try temporaryDirectory()
        let elsewhere = try temporaryDirectory()
        let none = AnsibleConfigFile.locate(environment: [:], currentDirectory: project, home: home).path
        #expect(none == nil || none == "/etc/ansible/ansible.cfg")
        try "[defaults]\n".write(toFile: home + "/.ansible.cfg", atomically: true, encoding: .utf8)
        #expect(AnsibleConfigFile.locate(environment: [:], currentDirectory: project, home: home).path == home + "/.ansible.cfg")
        try "[defaults]\n".write(toFile: project + "/ansible.cfg", atomically: true, encoding: .utf8)
        #expect(AnsibleConfigFile.locate(environment: [:], currentDirectory: project, home: home).path == project + "/ansible.cfg")
        try "[defaults]\n".write(toFile: elsewhere + "/ansible.cfg", atomically: true, encoding: .utf8)
        #expect(AnsibleConfigFile.locate(environment: ["ANSIBLE_CONFIG": elsewhere], currentDirectory: project, home: home).path
                == elsewhere + "/ansible.cfg", "a directory in ANSIBLE_CONFIG means its ansible.cfg")
        #expect(AnsibleConfigFile.locate(environment: ["ANSIBLE_CONFIG": elsewhere + "/none.cfg"], currentDirectory: project, home: home).path
                == project + "/ansible.cfg", "a missing ANSIBLE_CONFIG falls through")
        // A world-writable current directory's ansible.cfg is skipped, with a warning.
        try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: project)
        let skipped = AnsibleConfigFile.locate(environment: [:], currentDirectory: project, home: home)
        #expect(skipped.path == home + "/.ansible.cfg")
        #expect(skipped.warning?.contains("world-writable") == true)
    }

    /// `keel config dump` against `ansible-config dump --only-changed` on the same file and variables:
    /// the same NAME(origin) = value lines for every setting Keel reads.
    @Test func dumpMatchesAnsibleConfig() throws {
        let project = try temporaryDirectory()
        try """
            [defaults]
            inventory = hosts.ini, ~/other
            roles_path = roles:/opt/roles
            forks: 20
            host_key_checking = False ; inline
            remote_user = "deploy"
            nocows = 1
            timeout = 30
            gathering = explicit
            vault_identity_list = a@x, b@y
            stdout_callback = yaml
            private_key_file = keys/id
            [privilege_escalation]
            become = yes
            become_user = %(x)s
            become_method = su
            [ssh_connection]
            ssh_args = -o ControlMaster=auto
            pipelining = True
            """.write(toFile: project + "/ansible.cfg", atomically: true, encoding: .utf8)
        let environment = ["ANSIBLE_TIMEOUT": "12", "ANSIBLE_COLLECTIONS_PATH": "cols:/usr/share/cols"]
        let ansible = try AnsibleTool.run("ansible-config", ["dump", "--only-changed"], home: project + "/.ansible",
                                          currentDirectory: project, environment: environment, keepStderr: false)
        #expect(ansible.status == 0, "\(ansible.output)")
        let keel = try KeelCLI.run(["config", "dump"], in: project, environment: environment)
        #expect(keel.status == 0, "\(keel.output)")
        let keelLines = keel.output.split(separator: "\n", omittingEmptySubsequences: false).prefix { !$0.isEmpty }.map(String.init)
        let ansibleLines = Set(ansible.output.split(separator: "\n").map(String.init))
        #expect(keelLines.count == 15, "\(keelLines)")
        for line in keelLines where !line.hasPrefix("COLLECTIONS_PATHS") {
            #expect(ansibleLines.contains(line), "ansible-config prints \(line)")
        }
        // ansible-config names the setting by its newer variable; the value is the same.
        #expect(keelLines.contains("COLLECTIONS_PATHS(env: ANSIBLE_COLLECTIONS_PATH) = ['\(project)/cols', '/usr/share/cols']"))
        #expect(ansibleLines.contains("COLLECTIONS_PATHS(env: ANSIBLE_COLLECTIONS_PATH) = ['\(project)/cols', '/usr/share/cols']"))
        #expect(keel.output.contains("ssh_args(\(project)/ansible.cfg) = -o ControlMaster=auto"))
        #expect(keel.output.contains("ignored ansible.cfg settings: [defaults]nocows"))
    }
}
