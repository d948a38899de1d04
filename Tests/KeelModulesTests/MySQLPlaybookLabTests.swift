import Foundation
import KeelBase
import KeelEngine
import KeelReport
import KeelTestSupport
import OrderedCollections
import Synchronization
import Testing
@testable import KeelModules

/// community.mysql's modules in one playbook on MariaDB: Keel's check run predicts exactly the tasks its
/// real run changes and writes nothing, a second run changes nothing, and ansible-playbook (community.mysql
/// from the venv, PyMySQL on the host) running the same playbook on a second host reports the same
/// changed/ok/skipped per task and leaves the same databases, accounts, password hashes and grants.
@Suite("mysql_* playbook: check, converge, idempotence, Ansible differential", .serialized) struct MySQLPlaybookLabTests {
    static let password = "s3cret-Keel-pw"

    final class Recorder: ReportSink, Sendable {
        private let store = Mutex<[HostTaskResult]>([])
        private let all = Mutex<[String]>([])
        var results: [HostTaskResult] { store.withLock { $0 } }
        var events: [String] { all.withLock { $0 } }
        func handle(_ event: RunEvent) async {
            all.withLock { $0.append("\(event)") }
            if case .hostResult(let result) = event { store.withLock { $0.append(result) } }
        }
    }

    static let playbook = """
        - hosts: db
          gather_facts: false
          vars:
            app_password: \(password)
          tasks:
            - name: app database
              community.mysql.mysql_db: {name: keelapp, encoding: utf8mb4, collation: utf8mb4_unicode_ci}
            - name: two databases, one of them existing
              community.mysql.mysql_db: {name: [keelapp, keelother], encoding: latin1}
            - name: the test database is removed
              mysql_db: {name: test, state: absent}
            - name: a database that never existed stays absent
              mysql_db: {name: never_there, state: absent}
            - name: app user
              community.mysql.mysql_user:
                name: keelapp
                host: localhost
                password: "{{ app_password }}"
                priv: "keelapp.*:ALL/keelother.*:SELECT,INSERT"
                column_case_sensitive: false
                tls_requires: {}
            - name: reporting user with the grant option
              mysql_user: {name: report, host: "%", password: other-pw, priv: "*.*:SELECT,PROCESS,GRANT/keelother.*:UPDATE", column_case_sensitive: true}
            - name: append a privilege
              mysql_user: {name: appender, host: "%", priv: "keelother.*:INSERT", append_privs: true, column_case_sensitive: true}
            - name: replace an account's privileges
              mysql_user: {name: legacy, host: localhost, priv: "keelapp.*:SELECT,INSERT", column_case_sensitive: false}
            - name: a new password only on create
              mysql_user: {name: legacy, host: localhost, password: another-pw, update_password: on_create, column_case_sensitive: false}
            - name: a password rotated
              mysql_user: {name: rotate, host: localhost, password: rotate-new, column_case_sensitive: false}
            - name: the stale account is removed
              mysql_user: {name: stale, host: localhost, state: absent, column_case_sensitive: false}
            - name: primary status
              community.mysql.mysql_replication: {mode: getprimary}
              register: primary
            - name: read a variable
              community.mysql.mysql_variables: {variable: max_connections}
              register: connections
            - name: what they returned
              assert:
                that:
                  - not primary.Is_Primary
                  - connections.msg | int > 0
              when: not ansible_check_mode
        """

    func keel(_ playbook: String, inventory: String, check: Bool = false) async -> (PlaybookRunner.ExitStatus, Recorder) {
        var options = RunOptions()
        options.inventorySources = [inventory]
        options.checkMode = check
        options.diffMode = true
        let recorder = Recorder()
        let status = await PlaybookRunner(options: options, sinks: [recorder]).run([playbook])
        return (status, recorder)
    }

    @Test func checkConvergeIdempotenceAndTheSameResultAsAnsible() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "mysql")
        let (keelHost, ansibleHost) = (hosts[0], hosts[1])
        for host in hosts { try MySQLLabHost.prepare(host) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-mysql-play-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.playbook.write(toFile: dir + "/site.yml", atomically: true, encoding: .utf8)
        for (name, host) in [("keel", keelHost), ("ansible", ansibleHost)] {
            let inventory = LabInventory.ini([host], group: "db", lab: LabFixture.shared.lab,
                                             hostVars: [host.name: "ansible_python_interpreter=/usr/bin/python3"])
            try inventory.write(toFile: "\(dir)/\(name).ini", atomically: true, encoding: .utf8)
        }
        func changed(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .changed }.map(\.task.name) }
        func failures(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" } }

        let initial = try MySQLLabHost.state(keelHost)
        let (checkStatus, check) = await keel(dir + "/site.yml", inventory: dir + "/keel.ini", check: true)
        #expect(checkStatus == .ok, "\(failures(check.results))")
        #expect(try MySQLLabHost.state(keelHost) == initial, "the check run changed the server")

        let (status, real) = await keel(dir + "/site.yml", inventory: dir + "/keel.ini")
        #expect(status == .ok, "\(failures(real.results))")
        #expect(changed(real.results) == changed(check.results), "check mode predicted \(changed(check.results)), the run changed \(changed(real.results))")
        #expect(changed(real.results) == ["app database", "two databases, one of them existing", "the test database is removed", "app user",
                                          "reporting user with the grant option", "append a privilege", "replace an account's privileges",
                                          "a password rotated", "the stale account is removed"])
        #expect(!real.events.joined().contains(Self.password) && !check.events.joined().contains(Self.password), "the password appears in the run's events")

        let (againStatus, again) = await keel(dir + "/site.yml", inventory: dir + "/keel.ini")
        #expect(againStatus == .ok && changed(again.results) == [], "second run changed: \(changed(again.results)) \(failures(again.results))")

        // ansible-playbook --check on its fresh host predicts what Keel's check run predicted, with the same results.
        let (ansibleCheckStatus, checkOutput) = try AnsibleTool.run("ansible-playbook", ["--check", "-v", "-i", dir + "/ansible.ini", dir + "/site.yml"], home: dir + "/.ansible")
        #expect(ansibleCheckStatus == 0, "ansible-playbook --check failed:\n\(checkOutput.suffix(3000))")
        let ansibleCheck = GitPlaybookLabTests.ansibleResults(checkOutput)
        #expect(check.results.map { "\($0.task.name): \($0.status.rawValue)" } == ansibleCheck.map { "\($0.task): \($0.status)" })
        for (keelResult, theirs) in zip(check.results, ansibleCheck) where keelResult.status != .skipped {
            for key in ["msg", "db", "db_list", "user", "password_changed"] {
                guard let expected = theirs.result[key] else { continue }
                #expect(keelResult.values[key] == expected, "check: \(theirs.task): \(key): Keel \(keelResult.values[key] ?? .null), Ansible \(expected)")
            }
        }

        let (ansibleStatus, output) = try AnsibleTool.run("ansible-playbook", ["-v", "-i", dir + "/ansible.ini", dir + "/site.yml"], home: dir + "/.ansible")
        #expect(ansibleStatus == 0, "ansible-playbook failed:\n\(output.suffix(3000))")
        let ansible = GitPlaybookLabTests.ansibleResults(output)
        let byKeel = real.results.map { "\($0.task.name): \($0.status.rawValue)" }
        #expect(byKeel == ansible.map { "\($0.task): \($0.status)" })
        // The results a playbook registers, wherever the collection returns them.
        #expect(ansible.filter { $0.result["msg"] != nil }.count >= 8, "ansible-playbook -v results were not read")
        for (keelResult, theirs) in zip(real.results, ansible) {
            for key in ["msg", "db", "db_list", "executed_commands", "user", "password_changed", "Is_Primary"] {
                guard let expected = theirs.result[key] else { continue }
                #expect(keelResult.values[key] == expected, "\(theirs.task): \(key): Keel \(keelResult.values[key] ?? .null), Ansible \(expected)")
            }
        }
        let keelState = try MySQLLabHost.state(keelHost), ansibleState = try MySQLLabHost.state(ansibleHost)
        #expect(keelState == ansibleState)
        #expect(keelState.contains("GRANT SELECT, INSERT ON `keelapp`.* TO `legacy`@`localhost`") && !keelState.contains("legacydb")
                && keelState.contains("GRANT SELECT, INSERT ON `keelother`.* TO `appender`@`%`") && !keelState.contains("stale@"), "\(keelState)")
        #expect(keelState.contains(MySQLAccount.nativeHash(Self.password)), "the app user's password hash")
    }

    /// The modules one by one on the same server: a login with a password (never in a message), password
    /// changes, variables (no check mode, as the collection), replication status on a server that is none.
    @Test func loginsPasswordsVariablesAndReplicationStatus() async throws {
        let host = try await LabModuleHost.make(prefix: "mysql")
        try MySQLLabHost.prepare(host.lab)
        try MySQLLabHost.sh(host.lab, "mariadb --no-defaults --socket=\(MySQLLabHost.socket) -e \"DROP USER IF EXISTS 'km_admin'@'localhost'; DROP DATABASE IF EXISTS km_db\"")
        let secret = "km-Secret-1"
        let admin: [String: Value] = ["name": "km_admin", "password": .string(secret), "priv": .dict(["*.*": "ALL,GRANT"]), "column_case_sensitive": false]
        let created = try await host.run(MySQLUserModule.self, .init(uniqueKeysWithValues: admin.sorted { $0.key < $1.key }))
        #expect(created.changed && created.values["msg"] == "User added" && created.values["password_changed"] == .bool(true))

        // As that account, over the socket with a password and no option file.
        let asAdmin: [(String, Value)] = [("login_user", "km_admin"), ("login_password", .string(secret)), ("config_file", "/nonexistent.cnf")]
        let database = try await host.run(MySQLDBModule.self, .init(uniqueKeysWithValues: [("name", "km_db")] + asAdmin))
        #expect(database.changed && database.values["executed_commands"] == .list(["CREATE DATABASE `km_db`"]), "\(database.values)")
        let wrong = await host.outcome(MySQLDBModule.self, ["name": "km_db", "login_user": "km_admin", "login_password": "km-Wrong-2", "config_file": "/nonexistent.cnf"])
        #expect(wrong.failed && (wrong.message ?? "").contains("Access denied") && !(wrong.message ?? "").contains("km-Wrong-2"), "\(wrong.message ?? "")")

        // check_implicit_admin: root through the socket first, whatever login the task names.
        let implicit: OrderedDictionary<String, Value> = ["name": "km_db2", "check_implicit_admin": true, "login_user": "nobody",
                                                          "login_password": "km-Bad-5", "config_file": "/nonexistent.cnf"]
        #expect(try await host.run(MySQLDBModule.self, implicit).changed)
        var dropImplicit = implicit
        dropImplicit["state"] = "absent"
        #expect(try await host.run(MySQLDBModule.self, dropImplicit).changed)

        // A new password: check mode predicts it without showing it, the run changes the stored hash, then ok.
        var changedPassword: [String: Value] = admin
        changedPassword["password"] = "km-Secret-3"
        let args = OrderedDictionary(uniqueKeysWithValues: changedPassword.sorted { $0.key < $1.key })
        let predicted = try await host.run(MySQLUserModule.self, args, .check)
        #expect(predicted.changed && !"\(predicted)".contains("km-Secret-3") && !"\(predicted)".contains(MySQLAccount.nativeHash("km-Secret-3")))
        let changed = try await host.run(MySQLUserModule.self, args)
        #expect(changed.changed && changed.values["msg"] == "Password updated (new style)")
        let hash = try MySQLLabHost.sh(host.lab, "mariadb --no-defaults --socket=\(MySQLLabHost.socket) -N -B -e \"SELECT authentication_string FROM mysql.user WHERE User = 'km_admin'\"")
        #expect(hash == MySQLAccount.nativeHash("km-Secret-3") + "\n")
        #expect(try await host.run(MySQLUserModule.self, args).changed == false)

        // mysql_variables: skipped in check mode (no check mode, as the collection); set, then ok.
        let variable: OrderedDictionary<String, Value> = ["variable": "max_connections", "value": "171"]
        #expect(try await host.run(MySQLVariablesModule.self, variable, .check).skipped)
        let set = try await host.run(MySQLVariablesModule.self, variable)
        #expect(set.changed && set.values["queries"] == .list(["SET GLOBAL `max_connections` = 171"]), "\(set.values)")
        #expect(try await host.run(MySQLVariablesModule.self, variable).changed == false)
        #expect(try await host.run(MySQLVariablesModule.self, ["variable": "max_connections"]).values["msg"] == "171")
        #expect(try await host.run(MySQLVariablesModule.self, ["variable": "max_connections", "value": "151"]).changed)
        #expect(await host.outcome(MySQLVariablesModule.self, ["variable": "no_such_variable", "value": "1"]).failed)

        // Replication status of a server that is neither primary nor replica.
        let replica = try await host.run(MySQLReplicationModule.self, ["mode": "getreplica"])
        #expect(replica.values["Is_Replica"] == .bool(false) && !replica.changed)
        let primary = try await host.run(MySQLReplicationModule.self, ["mode": "getprimary"])
        #expect(primary.values["Is_Primary"] == .bool(false))
        #expect(await host.outcome(MySQLReplicationModule.self, ["mode": "resetprimary"]).failed)

        // changeprimary as geerlingguy.mysql's replica path writes it (not started: there is no primary).
        let change = try await host.run(MySQLReplicationModule.self, ["mode": "changeprimary", "master_host": "192.0.2.10", "master_user": "repl",
                                                                      "master_password": "km-Repl-4", "master_log_file": "mysql-bin.000001", "master_log_pos": 4])
        #expect(change.changed && !"\(change)".contains("km-Repl-4"), "\(change)")
        let configured = try await host.run(MySQLReplicationModule.self, ["mode": "getreplica"])
        #expect(configured.values["Is_Replica"] == .bool(true) && configured.values["Master_Host"] == "192.0.2.10"
                && configured.values["Master_User"] == "repl" && configured.values["Read_Master_Log_Pos"] == 4, "\(configured.values)")
        try MySQLLabHost.sh(host.lab, "mariadb --no-defaults --socket=\(MySQLLabHost.socket) -e 'STOP SLAVE; RESET SLAVE ALL'")

        let dropped = try await host.run(MySQLUserModule.self, ["name": "km_admin", "host_all": true, "state": "absent"])
        #expect(dropped.changed && dropped.values["msg"] == "User deleted")
        #expect(try await host.run(MySQLDBModule.self, ["name": "km_db", "state": "absent"]).changed)
    }
}
