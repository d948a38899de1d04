import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// --control-persist (issue 22): the real keel binary against lab hosts. Each test has a socket directory
/// of its own (KEEL_CONTROL_DIR), so its masters are its own; they are stopped at its end.
@Suite("Connection persistence on lab hosts", .serialized) struct ConnectionPersistenceLabTests {
    let lab = Lab()

    static let play = """
        - hosts: lab
          gather_facts: false
          tasks:
            - name: directory
              file: {path: /srv/persist, state: directory}
            - name: file
              copy: {dest: /srv/persist/a, content: "hello\\n"}
            - name: read
              command: cat /srv/persist/a
              register: read
              changed_when: false
            - name: show
              debug: {msg: "{{ read.stdout }}"}
        """

    /// A scratch directory with the inventory and play, and a socket directory inside it.
    struct Scratch {
        let path: String
        var controlDirectory: String { path + "/cp" }

        init(_ hosts: [LabHost], play: String = ConnectionPersistenceLabTests.play, inventory: String? = nil) throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("keel-persist-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            try (inventory ?? LabInventory.ini(hosts)).write(toFile: path + "/inventory.ini", atomically: true, encoding: .utf8)
            try play.write(toFile: path + "/site.yml", atomically: true, encoding: .utf8)
        }

        func keel(_ extra: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
            var env = environment
            env["KEEL_CONTROL_DIR"] = controlDirectory
            return try KeelCLI.run(["play", "-v", "-i", "inventory.ini", "site.yml"] + extra, in: path, environment: env)
        }

        /// The masters serving sockets in this directory (their command lines name it).
        func masters() -> [Int32] {
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
            return entries.compactMap { Int32($0) }.filter { pid in
                guard let raw = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
                let words = raw.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
                return words.contains("connection-master") && words.contains { $0.hasPrefix(controlDirectory + "/") }
            }
        }

        func sockets() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: controlDirectory)) ?? []).filter { $0.hasSuffix(".sock") }
        }

        /// Stops this test's masters (by pid: they are ours) and removes the directory.
        func cleanUp() {
            for pid in masters() { kill(pid, SIGKILL) }
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    /// The TRANSPORT line's numbers for `host`: round_trips and login_round_trips (0 when absent).
    static func transport(_ output: String, _ host: String) -> (roundTrips: Int, login: Int)? {
        guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix(host + " ") && $0.contains("round_trips=") }) else { return nil }
        func number(_ key: String) -> Int? {
            guard let range = line.range(of: " " + key + "=") ?? line.range(of: ": " + key + "=") else { return nil }
            return Int(line[range.upperBound...].prefix { $0.isNumber })
        }
        guard let trips = number("round_trips") else { return nil }
        return (trips, number("login_round_trips") ?? 0)
    }

    /// The recap line of `host` (ok=, changed=, ...).
    static func recap(_ output: String, _ host: String) -> String? {
        output.split(separator: "\n").first { $0.hasPrefix(host + " ") && $0.contains("ok=") }.map(String.init)
    }

    func waitUntil(_ seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    @Test func theSecondRunReusesTheLoginAndGetsTheSameResults() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        _ = try lab.exec(host.name, "rm -rf /srv/persist")
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        let direct = try scratch.keel([])
        #expect(direct.status == 0, "\(direct.output)")
        #expect(scratch.masters().isEmpty, "off by default")
        _ = try lab.exec(host.name, "rm -rf /srv/persist")

        let first = try scratch.keel(["--control-persist", "60"])
        #expect(first.status == 0, "\(first.output)")
        let masters = scratch.masters()
        #expect(masters.count == 1, "one master between the runs: \(masters)")
        let second = try scratch.keel(["--control-persist", "60"])
        #expect(second.status == 0, "\(second.output)")
        #expect(scratch.masters() == masters, "the same master served the second run")
        let one = try #require(Self.transport(first.output, host.name), "\(first.output)")
        let two = try #require(Self.transport(second.output, host.name), "\(second.output)")
        #expect(one.login > 0, "the first run logged in: \(first.output)")
        #expect(two.login == 0, "the second run did not: \(second.output)")
        #expect(two.roundTrips + two.login < one.roundTrips + one.login, "first \(one), second \(two)")
        // Same results as without persistence: the first run changed what the direct run changed; the
        // second (converged) one as a direct converged run.
        #expect(Self.recap(first.output, host.name) == Self.recap(direct.output, host.name))
        let again = try scratch.keel(["--control-persist", "0"])
        #expect(Self.recap(second.output, host.name) == Self.recap(again.output, host.name))
        // The reused session is not proven before the run (its first command, the batched observation, is
        // a read): exactly the round trips of the same converged play on a direct connection, no extra one.
        let directConverged = try #require(Self.transport(again.output, host.name), "\(again.output)")
        #expect(two.roundTrips == directConverged.roundTrips, "reused master \(two), direct \(directConverged)")
        #expect(directConverged.login > 0)
        #expect(Self.recap(second.output, host.name)?.contains("changed=0") == true)
        #expect(second.output.contains("\"msg\": \"hello\""), "\(second.output)")
        // The socket: 0600 in a 0700 directory of ours.
        let sockets = scratch.sockets()
        #expect(sockets.count == 1)
        let directoryInfo = try FileManager.default.attributesOfItem(atPath: scratch.controlDirectory)
        #expect((directoryInfo[.posixPermissions] as? Int) == 0o700)
        #expect((directoryInfo[.ownerAccountID] as? Int).map(UInt32.init) == getuid())
        for socket in sockets {
            let info = try FileManager.default.attributesOfItem(atPath: scratch.controlDirectory + "/" + socket)
            #expect((info[.posixPermissions] as? Int) == 0o600, "\(socket)")
            #expect((info[.type] as? FileAttributeType) == .typeSocket)
        }
    }

    @Test func resetConnectionEndsTheMastersSession() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host], play: """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: before
                  command: "true"
                - meta: reset_connection
                - name: after
                  command: "true"
            """)
        defer { scratch.cleanUp() }
        let first = try scratch.keel(["--control-persist", "60"])
        #expect(first.status == 0, "\(first.output)")
        // The first run reset its own first master too: that one is on its way out.
        #expect(waitUntil(30) { scratch.masters().count == 1 }, "\(scratch.masters())")
        let old = scratch.masters()
        let second = try scratch.keel(["--control-persist", "60"])
        #expect(second.status == 0, "\(second.output)")
        // The second run began on the old master, reset it, and logged in again through a new one.
        #expect((Self.transport(second.output, host.name)?.login ?? 0) > 0, "\(second.output)")
        #expect(waitUntil(30) { let now = scratch.masters(); return now.count == 1 && !now.contains(where: old.contains) },
                "a new master replaced the reset one: \(scratch.masters()), old \(old)")
    }

    @Test func runsAtOnceShareOneMaster() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host], play: """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: work
                  shell: "for i in 1 2 3 4 5; do echo $i; done"
                  changed_when: false
            """)
        defer { scratch.cleanUp() }
        // Three runs start together with no master: one master serves them all, concurrently.
        let outcomes = try await withThrowingTaskGroup(of: (status: Int32, output: String).self) { group in
            for _ in 0..<3 { group.addTask { try scratch.keel(["--control-persist", "60"]) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for outcome in outcomes {
            #expect(outcome.status == 0, "\(outcome.output)")
            #expect(Self.recap(outcome.output, host.name)?.contains("ok=1 ") == true, "\(outcome.output)")
        }
        #expect(outcomes.filter { (Self.transport($0.output, host.name)?.login ?? 0) > 0 }.count == 1, "one login for the three runs")
        #expect(scratch.masters().count == 1)
    }

    @Test func aSocketDirectoryOpenToOthersIsRefused() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        try FileManager.default.createDirectory(atPath: scratch.controlDirectory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        chmod(scratch.controlDirectory, 0o755)
        let run = try scratch.keel(["--control-persist", "60"])
        #expect(run.status != 0)
        #expect(run.output.contains("expected 700"), "\(run.output)")
        #expect(scratch.masters().isEmpty)
    }

    @Test func aKilledMastersStaleSocketIsReplaced() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        let first = try scratch.keel(["--control-persist", "60"])
        #expect(first.status == 0, "\(first.output)")
        let old = scratch.masters()
        #expect(old.count == 1)
        for pid in old { kill(pid, SIGKILL) }
        #expect(waitUntil(10) { scratch.masters().isEmpty })
        #expect(scratch.sockets().count == 1, "kill -9 leaves the socket behind")
        let second = try scratch.keel(["--control-persist", "60"])
        #expect(second.status == 0, "\(second.output)")
        let new = scratch.masters()
        #expect(new.count == 1 && new != old, "a new master: \(new), old \(old)")
        #expect((Self.transport(second.output, host.name)?.login ?? 0) > 0, "the new master logged in: \(second.output)")
    }

    @Test func aHostRestartedBetweenRunsDoesNotFailTheNextRun() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist-restart")[0]
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        let first = try scratch.keel(["--control-persist", "60"])
        #expect(first.status == 0, "\(first.output)")
        let old = scratch.masters()
        #expect(old.count == 1)
        try lab.stopSSH(host.name)
        _ = try lab.up(names: [host.name], flavor: .light)
        let second = try scratch.keel(["--control-persist", "60"])
        #expect(second.status == 0, "\(second.output)")
        #expect(Self.recap(second.output, host.name)?.contains("unreachable=0") == true, "\(second.output)")
        let retried = try #require(Self.transport(second.output, host.name), "\(second.output)")
        #expect(retried.login > 0, "the first read found the session dead and ran again after a new login: \(second.output)")
        #expect(waitUntil(30) { !scratch.masters().contains(where: old.contains) }, "the dead session's master exits")
        // Identical results to a direct converged run, at the same cost (the dead attempt got no answer).
        let direct = try scratch.keel(["--control-persist", "0"])
        #expect(Self.recap(second.output, host.name) == Self.recap(direct.output, host.name), "\(second.output)\n\(direct.output)")
        #expect(Self.recap(second.output, host.name)?.contains("changed=0") == true, "\(second.output)")
        #expect(second.output.contains("\"msg\": \"hello\""), "\(second.output)")
        #expect(retried.roundTrips == Self.transport(direct.output, host.name)?.roundTrips, "\(second.output)\n\(direct.output)")
        // The master that ended left nothing of its own: only the new master's socket and its log (the same
        // name: the successor appends to it), and its lock unless the old master removed it.
        let files = try FileManager.default.contentsOfDirectory(atPath: scratch.controlDirectory).sorted()
        #expect(files.contains { $0.hasSuffix(".sock") } && files.contains { $0.hasSuffix(".log") }, "\(files)")
        #expect(files.count <= 3 && Set(files.map { ($0 as NSString).deletingPathExtension }).count == 1, "\(files)")
        #expect(try waitUntil(30) { (try ConnectionMastersProbe.stop(scratch)) && scratch.masters().isEmpty })
        #expect(waitUntil(30) { ((try? FileManager.default.contentsOfDirectory(atPath: scratch.controlDirectory)) ?? ["?"]).isEmpty },
                "a master stopped cleanly removes its socket, .lock and .log: \((try? FileManager.default.contentsOfDirectory(atPath: scratch.controlDirectory)) ?? [])")
    }

    /// `keel connections --stop` for this scratch directory.
    enum ConnectionMastersProbe {
        static func stop(_ scratch: Scratch) throws -> Bool {
            try KeelCLI.run(["connections", "--stop"], in: scratch.path, environment: ["KEEL_CONTROL_DIR": scratch.controlDirectory]).status == 0
        }
    }

    @Test func aFirstCommandThatIsNotAReadGetsTheSessionCheckedAndRunsOnce() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist-restart")[0]
        _ = try lab.exec(host.name, "rm -f /srv/persist-count")
        let scratch = try Scratch([host], play: """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: append
                  shell: echo run >> /srv/persist-count
            """)
        defer { scratch.cleanUp() }
        let first = try scratch.keel(["--control-persist", "60"])
        #expect(first.status == 0, "\(first.output)")
        let old = scratch.masters()
        #expect(old.count == 1)
        // Reused while the session answers: the check before the first command costs one round trip.
        let reused = try scratch.keel(["--control-persist", "60"])
        #expect(reused.status == 0, "\(reused.output)")
        let direct = try scratch.keel(["--control-persist", "0"])
        let checked = try #require(Self.transport(reused.output, host.name), "\(reused.output)")
        #expect(checked.login == 0, "\(reused.output)")
        #expect(checked.roundTrips == (Self.transport(direct.output, host.name)?.roundTrips ?? 0) + 1, "\(reused.output)\n\(direct.output)")
        // The host restarts: the check finds the session dead, a new master logs in, the command runs once.
        try lab.stopSSH(host.name)
        _ = try lab.up(names: [host.name], flavor: .light)
        let second = try scratch.keel(["--control-persist", "60"])
        #expect(second.status == 0, "\(second.output)")
        #expect(Self.recap(second.output, host.name)?.contains("unreachable=0") == true, "\(second.output)")
        #expect(Self.recap(second.output, host.name)?.contains("changed=1") == true, "\(second.output)")
        #expect((Self.transport(second.output, host.name)?.login ?? 0) > 0, "logged in anew: \(second.output)")
        let lines = try lab.exec(host.name, "wc -l < /srv/persist-count").stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(lines == "4", "four runs, each appended exactly once")
        #expect(waitUntil(30) { !scratch.masters().contains(where: old.contains) }, "the dead session's master exits")
    }

    @Test func aHostKeyMismatchIsReportedAsWithoutPersistence() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist-rekey")[0]
        let scratch = try Scratch([host])
        defer {
            scratch.cleanUp()
            _ = try? lab.up(names: [host.name], flavor: .light)   // known_hosts trusts the new key again
        }
        _ = try lab.rekey(host.name)
        let direct = try scratch.keel([])
        let persisted = try scratch.keel(["--control-persist", "60"])
        #expect(direct.output.contains("REMOTE HOST KEY CHANGED"), "\(direct.output)")
        #expect(persisted.status == direct.status, "\(persisted.output)")
        let lines = { (output: String) in output.split(separator: "\n").filter { $0.contains("REMOTE HOST KEY CHANGED") || $0.contains("UNREACHABLE") || $0.contains("unreachable=") } }
        #expect(lines(persisted.output) == lines(direct.output), "with a master:\n\(persisted.output)\nwithout:\n\(direct.output)")
        #expect(waitUntil(30) { scratch.masters().isEmpty && scratch.sockets().isEmpty }, "the master that failed its login is gone")
    }

    @Test func theEnvironmentAndSshArgsTurnItOnAndKeelConnectionsListsAndStops() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        let environment = ["KEEL_CONTROL_DIR": scratch.controlDirectory]
        let byEnvironment = try scratch.keel([], environment: ["KEEL_CONTROL_PERSIST": "60"])
        #expect(byEnvironment.status == 0, "\(byEnvironment.output)")
        #expect(scratch.masters().count == 1, "KEEL_CONTROL_PERSIST=60")
        let listed = try KeelCLI.run(["connections"], in: scratch.path, environment: environment)
        #expect(listed.output.contains("\(host.name) root@\(host.address):22"), "\(listed.output)")
        #expect(listed.output.contains("of 60 s"), "\(listed.output)")
        let stopped = try KeelCLI.run(["connections", "--stop"], in: scratch.path, environment: environment)
        #expect(stopped.status == 0 && stopped.output.contains("stopped"), "\(stopped.output)")
        #expect(waitUntil(30) { scratch.masters().isEmpty && scratch.sockets().isEmpty }, "--stop ends the master")
        // The flag wins over the environment: 0 is off.
        let off = try scratch.keel(["--control-persist", "0"], environment: ["KEEL_CONTROL_PERSIST": "60"])
        #expect(off.status == 0 && scratch.masters().isEmpty, "\(off.output)")
        // ansible.cfg's ssh_args (here ANSIBLE_SSH_ARGS) with ControlPersist, as ansible-playbook's defaults have it.
        let byConfig = try scratch.keel([], environment: ["ANSIBLE_SSH_ARGS": "-C -o ControlMaster=auto -o ControlPersist=60s"])
        #expect(byConfig.status == 0, "\(byConfig.output)")
        #expect(scratch.masters().count == 1, "ControlPersist=60s in ssh_args")
        #expect(!byConfig.output.contains("ControlPersist"), "no longer reported as ignored: \(byConfig.output)")
    }

    @Test func aMasterExitsAfterItsIdleTime() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist")[0]
        let scratch = try Scratch([host])
        defer { scratch.cleanUp() }
        let run = try scratch.keel(["--control-persist", "2"])
        #expect(run.status == 0, "\(run.output)")
        #expect(waitUntil(60) { scratch.masters().isEmpty && scratch.sockets().isEmpty }, "gone after its idle time")
    }

    @Test func aTimedOutCommandThroughTheMasterIsStoppedOnTheHost() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist-cancel")[0]
        _ = try lab.exec(host.name, "pkill -x sleep; true")
        let scratch = try Scratch([host], play: """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: long
                  shell: sleep 300
                  timeout: 3
            """)
        defer { scratch.cleanUp() }
        let run = try scratch.keel(["--control-persist", "60"])
        #expect(run.status != 0)
        #expect(run.output.contains("expected time frame (3) and was terminated"), "\(run.output)")
        #expect(try waitUntil(20) { try lab.exec(host.name, "pgrep -x sleep || true").stdout.isEmpty }, "the remote sleep is gone")
        #expect(scratch.masters().count == 1, "the master survives a cancelled command")
    }

    @Test func ctrlCDuringACommandThroughTheMasterStopsIt() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "persist-sigint")[0]
        _ = try lab.exec(host.name, "pkill -x sleep; true")
        let scratch = try Scratch([host], play: """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: long
                  shell: sleep 301
            """)
        defer { scratch.cleanUp() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabInterruptTests.keelBinary)
        process.arguments = ["play", "-i", "inventory.ini", "site.yml", "--control-persist", "60"]
        process.currentDirectoryURL = URL(fileURLWithPath: scratch.path)
        var environment = ProcessInfo.processInfo.environment
        environment["KEEL_CONTROL_DIR"] = scratch.controlDirectory
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let running = try waitUntil(60) { try lab.exec(host.name, "pgrep -x sleep || true").stdout != "" }
        #expect(running, "the long command never started on the host")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130)
        #expect(try waitUntil(20) { try lab.exec(host.name, "pgrep -x sleep || true").stdout.isEmpty }, "the remote sleep is gone")
    }
}
