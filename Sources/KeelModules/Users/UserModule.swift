import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `user`: a local account exists with these properties, or does not (ansible.builtin.user), through
/// useradd/usermod/userdel. The account, its groups, its password hash and every requested group are
/// read in one round trip; the password hash never leaves the module (no diff, no result, no command
/// line: it is fed to `chpasswd -e` on standard input).
public struct UserModule: Module {
    public static let name = "user"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Manage local user accounts",
        description: """
            Reads the account (getent passwd and shadow), its group memberships and every group the task names in one \
            round trip, then runs one useradd, usermod or userdel with only what differs. Supplementary groups are compared \
            as sets of names, the primary group by gid. The password hash is compared but never shown: diffs say \
            `password: (changed)`, and it reaches the host on standard input of `chpasswd -e`, not on a command line.
            """,
        examples: """
            - name: Deploy account
              user:
                name: deploy
                uid: 1500
                group: deploy
                groups: [sudo, adm]
                append: true
                shell: /bin/bash
                comment: Deployment
                password: "{{ deploy_hash }}"
                update_password: on_create
            - user: name=olduser state=absent remove=yes
            - user: name=prometheus system=yes create_home=no shell=/usr/sbin/nologin
            """,
        deviations: [
            "Only Linux shadow-utils (useradd/usermod/userdel) are supported: no BSD, macOS, AIX or busybox adduser.",
            "SSH key generation (generate_ssh_key, ssh_key_*), expires, inactive, seuser, login_class, local (luseradd), uid_min/uid_max, umask, hidden and profile options are not implemented.",
            "A group named in `group`/`groups` that does not exist fails when the change is applied; check mode predicts the change (as Ansible's check mode does).",
        ])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, aliases: ["user"], help: "The account's name.") var name: String
        @Option("state", choices: UserState.self, default: .present, help: "Whether the account exists.") var state: UserState
        @Option("uid", .int, help: "The user id.") var uid: Int?
        @Option("non_unique", .bool, default: false, help: "Allow a uid that another account already has (-o).") var non_unique: Bool
        @Option("group", .string, help: "Primary group (name or gid); it must exist. Default on creation: a group named after the user (useradd's USERGROUPS_ENAB).") var group: String?
        @Option("groups", .list(.string), help: "Supplementary groups; an empty list (or \"\") removes all of them unless append is set.") var groups: [String]?
        @Option("append", .bool, default: false, help: "Add `groups` to the current ones instead of replacing them.") var append: Bool
        @Option("shell", .string, help: "Login shell.") var shell: String?
        @Option("home", .path, help: "Home directory.") var home: String?
        @Option("create_home", .bool, default: true, aliases: ["createhome"], help: "Create the home directory (from /etc/skel) when the account is created or the directory is missing.") var create_home: Bool
        @Option("move_home", .bool, default: false, help: "When `home` changes, move the old directory's content there (usermod -m).") var move_home: Bool
        @Option("skeleton", .path, help: "Skeleton directory for a new home (-k).") var skeleton: String?
        @Option("system", .bool, default: false, help: "Create a system account (-r: uid below UID_MIN, no aging). Only used on creation.") var system: Bool
        @Option("comment", .string, help: "The GECOS field (full name).") var comment: String?
        @Option("password", .string, noLog: true, help: "The password **hash** as in /etc/shadow (e.g. from `mkpasswd -m sha-512` or `password_hash('sha512')`), never a clear-text password.") var password: String?
        @Option("update_password", choices: PasswordUpdate.self, default: .always, help: "`on_create` sets the password only for a new account.") var update_password: PasswordUpdate
        @Option("password_lock", .bool, help: "Lock (true) or unlock (false) the password (usermod -L/-U).") var password_lock: Bool?
        @Option("remove", .bool, default: false, help: "With state=absent, also remove the home directory and mail spool (userdel -r).") var remove: Bool
        @Option("force", .bool, default: false, help: "With state=absent, remove the account even while it is logged in (userdel -f).") var force: Bool
        /// `groups` without empty entries; "" and [] both mean "no supplementary groups".
        var wantedGroups: [String]? { groups.map { $0.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty } } }

        public init() {}
    }

    /// When password is applied: always, or only to an account being created.
    public enum PasswordUpdate: String, OptionChoice { case always, onCreate = "on_create" }

    public enum UserState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var account: AccountDatabase.Passwd?
        var passwordHash: String?
        var primaryGroupName: String?
        /// Groups listing the user as a member (names).
        var memberOf: [String]
        /// Each group the task names (as written) -> its entry, or nil when it does not exist.
        var groups: [String: AccountDatabase.Group?]
        var homeExists: Bool
        /// The home a new account would get (useradd's HOME default), for the diff.
        var defaultHomeBase: String
    }

    public enum Action: Sendable, Equatable, Codable {
        case create([String])
        case modify([String])
        /// The crypted hash chpasswd -e sets (a secret: never printed).
        case setPassword(String)
        case createHome(String)
        case delete([String])
    }

    /// One account command on the named user, with what the account's script needs around it.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var user: String
        var action: Action
        /// useradd -m makes the home but not its parents: this home's parent is made first.
        var newHome: String?
        var skeleton: String?
        /// Groups that must exist (checked before anything changes, with Ansible's message).
        var requiredGroups: [String]
        /// The task gave a password: the result says NOT_LOGGING_PASSWORD for it.
        var reportsPassword: Bool

        public var description: String {
            switch action {
            case .create(let flags): return (["useradd"] + flags + [user]).joined(separator: " ")
            case .modify(let flags): return (["usermod"] + flags + [user]).joined(separator: " ")
            case .delete(let flags): return (["userdel"] + flags + [user]).joined(separator: " ")
            case .setPassword: return "set the password of \(user)"
            case .createHome(let home): return "make \(user)'s home \(home)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var script = """
            n=\(ShellQuote.quote(a.name))
            pw=$(getent passwd "$n" 2>/dev/null | head -n 1)
            echo "passwd=$pw"
            if [ -n "$pw" ]; then
              echo "shadow=$(getent shadow "$n" 2>/dev/null | head -n 1 | cut -d: -f2)"
              echo "primary=$(getent group "$(echo "$pw" | cut -d: -f4)" | head -n 1 | cut -d: -f1)"
              getent group | awk -F: -v u="$n" '{c=split($4,m,","); for(i=1;i<=c;i++) if(m[i]==u) print "member=" $1}'
            fi
            h=\(a.home.map(ShellQuote.quote) ?? "$(echo \"$pw\" | cut -d: -f6)")
            [ -n "$h" ] && [ -d "$h" ] && echo homeexists=1
            echo "homebase=$(useradd -D 2>/dev/null | sed -n 's/^HOME=//p')"
            """
        let named = ([a.group].compactMap { $0 } + (a.wantedGroups ?? []))
        for (index, group) in named.enumerated() {
            script += "\n" + AccountDatabase.groupLookup(group, key: "g\(index)")
        }
        let result = try await host.runChecked(script, failure: "cannot read account \(a.name)")
        let f = AccountDatabase.fields(result.stdoutText)
        var groups: [String: AccountDatabase.Group?] = [:]
        for (index, group) in named.enumerated() { groups[group] = f["g\(index)"]?.first.flatMap(AccountDatabase.Group.init) }
        let shadow = f["shadow"]?.first
        return State(account: f["passwd"]?.first.flatMap(AccountDatabase.Passwd.init),
                     passwordHash: shadow, primaryGroupName: f["primary"]?.first,
                     memberOf: f["member"] ?? [], groups: groups, homeExists: f["homeexists"] != nil,
                     defaultHomeBase: f["homebase"]?.first ?? "/home")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["name": .string(a.name), "state": .string(a.state.rawValue)]
        if a.state == .absent {
            guard observed.account != nil else { return .unchanged(values: values) }
            var flags: [String] = []
            if a.force { flags.append("-f") }
            if a.remove { flags.append("-r") }
            return Plan(steps: [step(.delete(flags), a)], diffs: [Diff(label: "user \(a.name)", before: describe(observed, a), after: "user: \(a.name)\nstate: absent\n")],
                        values: values.merging(["force": .bool(a.force), "remove": .bool(a.remove)]) { $1 })
        }
        func groupName(_ written: String) -> String { (observed.groups[written] ?? nil)?.name ?? written }
        var steps: [Action] = []
        var after = Summary(observed, a)
        if let account = observed.account {
            var flags: [String] = []
            if let uid = a.uid, uid != account.uid {
                flags += ["-u", String(uid)] + (a.non_unique ? ["-o"] : [])
                after.uid = String(uid)
            }
            if let group = a.group {
                let wanted = observed.groups[group] ?? nil
                if wanted?.gid != account.gid { flags += ["-g", wanted.map { String($0.gid) } ?? group]; after.group = groupName(group) }
            }
            if let wanted = a.wantedGroups {
                let current = Set(observed.memberOf)
                let names = Set(wanted.map(groupName))
                if a.append {
                    if !names.isSubset(of: current) { flags += ["-a", "-G", names.sorted().joined(separator: ",")]; after.groups = current.union(names).sorted() }
                } else if names != current {
                    flags += ["-G", names.sorted().joined(separator: ",")]
                    after.groups = names.sorted()
                }
            }
            if let comment = a.comment, comment != account.comment { flags += ["-c", comment]; after.comment = comment }
            if let home = a.home, home != account.home {
                flags += ["-d", home] + (a.move_home ? ["-m"] : [])
                after.home = home
            }
            if let shell = a.shell, shell != account.shell { flags += ["-s", shell]; after.shell = shell }
            let hash = observed.passwordHash ?? ""
            if a.password_lock == true && !hash.hasPrefix("!") { flags.append("-L"); after.locked = true }
            if a.password_lock == false && hash.hasPrefix("!") { flags.append("-U"); after.locked = false }
            if !flags.isEmpty { steps.append(.modify(flags)) }
            if let password = a.password, a.update_password == .always,
               hash.drop(while: { $0 == "!" }) != password.drop(while: { $0 == "!" }) {
                steps.append(.setPassword(password))
                after.passwordChanged = true
            }
            let home = a.home ?? account.home
            let movedByUsermod = a.move_home && a.home != nil && a.home != account.home
            if a.create_home && !observed.homeExists && !movedByUsermod {
                steps.append(.createHome(home))
                after.homeCreated = true
            }
        } else {
            var flags: [String] = []
            if let uid = a.uid { flags += ["-u", String(uid)] + (a.non_unique ? ["-o"] : []) }
            if let group = a.group { flags += ["-g", group] }
            if let groups = a.wantedGroups, !groups.isEmpty { flags += ["-G", groups.joined(separator: ",")] }
            if let comment = a.comment { flags += ["-c", comment] }
            if let home = a.home { flags += ["-d", home] }
            if let shell = a.shell { flags += ["-s", shell] }
            if a.create_home {
                flags.append("-m")
                if let skeleton = a.skeleton { flags += ["-k", skeleton] }
            } else {
                flags.append("-M")
            }
            if a.system { flags.append("-r") }
            steps.append(.create(flags))
            if let password = a.password { steps.append(.setPassword(password)) }
            if a.password_lock == true { steps.append(.modify(["-L"])) }
            after = Summary(name: a.name, uid: a.uid.map(String.init) ?? "(next free)", group: a.group.map(groupName) ?? a.name,
                            groups: (a.wantedGroups ?? []).map(groupName).sorted(), home: a.home ?? "\(observed.defaultHomeBase)/\(a.name)",
                            shell: a.shell ?? "(default)", comment: a.comment ?? "")
            after.passwordChanged = a.password != nil
            after.locked = a.password_lock ?? false
        }
        values["append"] = .bool(a.append)
        if steps.isEmpty { return .unchanged(values: values.merging(accountValues(observed.account, observed)) { $1 }) }
        return Plan(steps: steps.map { step($0, a) }, diffs: [Diff(label: "user \(a.name)", before: describe(observed, a), after: after.text)],
                    values: values)
    }

    func step(_ action: Action, _ a: Arguments) -> Step {
        return Step(user: a.name, action: action, newHome: a.create_home ? a.home : nil, skeleton: a.skeleton,
                    requiredGroups: [a.group].compactMap { $0 } + (a.wantedGroups ?? []), reportsPassword: a.password != nil)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let a = plan.steps[0]
        let n = ShellQuote.quote(a.user)
        var lines = ["set -e"]
        var stdin: Data?
        func command(_ program: String, _ flags: [String]) -> String {
            ([program] + flags.map(ShellQuote.quote) + ["--", n]).joined(separator: " ")
        }
        for step in plan.steps {
            switch step.action {
            case .create(let flags):
                if let home = step.newHome {
                    // useradd -m creates the home but not its parents.
                    lines.append("mkdir -p -- \"$(dirname -- \(ShellQuote.quote(home)))\"")
                }
                lines.append(command("useradd", flags))
            case .modify(let flags): lines.append(command("usermod", flags))
            case .delete(let flags): lines.append(command("userdel", flags))
            case .setPassword(let hash):
                lines.append("chpasswd -e")
                stdin = Data("\(a.user):\(hash)\n".utf8)
            case .createHome(let home):
                let h = ShellQuote.quote(home)
                let skel = ShellQuote.quote(step.skeleton ?? "/etc/skel")
                lines.append("mkdir -p -- \(h)")
                lines.append("if [ -d \(skel) ]; then cp -a \(skel)/. \(h)/; fi")
                lines.append("chown -R \"$(id -u -- \(n)):$(id -g -- \(n))\" -- \(h)")
                lines.append("chmod \"$(sed -n 's/^HOME_MODE[[:space:]]*//p' /etc/login.defs 2>/dev/null | head -n 1 | grep . || echo 0755)\" -- \(h)")
            }
        }
        // Guard the password: nothing that could echo stdin, and the result re-read for `register`.
        lines.append("echo \"passwd=$(getent passwd \(n) 2>/dev/null | head -n 1)\"")
        let missing = plan.steps.contains { if case .delete = $0.action { return false }; return true } ? a.requiredGroups : []
        if !missing.isEmpty {
            // A group that does not exist fails here (not in check mode), with Ansible's message.
            let checks = missing.map { "getent group \(ShellQuote.quote($0)) >/dev/null || { echo \(ShellQuote.quote("Group \($0) does not exist")) >&2; exit 66; }" }
            lines.insert(contentsOf: checks, at: 1)
        }
        let result = try await host.runChecked(lines.joined(separator: "\n"), stdin: stdin ?? Data(), failure: "user \(a.user)")
        let account = AccountDatabase.fields(result.stdoutText)["passwd"]?.first.flatMap(AccountDatabase.Passwd.init)
        var values = accountValues(account, nil)
        if a.reportsPassword { values["password"] = "NOT_LOGGING_PASSWORD" }
        return .changed(values)
    }

    private func accountValues(_ account: AccountDatabase.Passwd?, _ state: State?) -> OrderedDictionary<String, Value> {
        guard let account else { return [:] }
        return ["uid": .int(account.uid), "group": .int(account.gid), "home": .string(account.home), "shell": .string(account.shell),
                "comment": .string(account.comment)]
    }

    /// The account's properties as diff text (never the password).
    struct Summary {
        var name: String, uid: String, group: String, groups: [String], home: String, shell: String, comment: String
        var passwordChanged = false, locked = false, homeCreated = false

        init(name: String, uid: String, group: String, groups: [String], home: String, shell: String, comment: String) {
            (self.name, self.uid, self.group, self.groups, self.home, self.shell, self.comment) = (name, uid, group, groups, home, shell, comment)
        }

        init(_ s: State, _ a: Arguments) {
            let acc = s.account
            self.init(name: a.name, uid: acc.map { String($0.uid) } ?? "", group: s.primaryGroupName ?? acc.map { String($0.gid) } ?? "",
                      groups: s.memberOf.filter { $0 != s.primaryGroupName }.sorted(), home: acc?.home ?? "", shell: acc?.shell ?? "", comment: acc?.comment ?? "")
            locked = s.passwordHash?.hasPrefix("!") ?? false
        }

        var text: String {
            var t = "user: \(name)\nstate: present\nuid: \(uid)\ngroup: \(group)\ngroups: \(groups.joined(separator: ","))\nhome: \(home)\nshell: \(shell)\ncomment: \(comment)\nlocked: \(locked)\n"
            if passwordChanged { t += "password: (changed)\n" }
            if homeCreated { t += "home directory: created\n" }
            return t
        }
    }

    private func describe(_ s: State, _ a: Arguments) -> String {
        guard s.account != nil else { return "user: \(a.name)\nstate: absent\n" }
        return Summary(s, a).text
    }
}
