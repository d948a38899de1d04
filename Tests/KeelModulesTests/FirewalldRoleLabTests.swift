import Foundation
import KeelBase
import KeelEngine
import KeelReport
import KeelTestSupport
import OrderedCollections
import Synchronization
import Testing

/// roles/vps_firewall played by the engine against the lab host, from a bootstrap state (firewalld
/// installed but stopped, so the zone is written offline and the role starts firewalld), then checked
/// from the outside: from the controller (a trusted network) and from a second lab host (the world).
extension FirewalldLabTests {
@Suite("roles/vps_firewall on a real host") struct FirewalldRoleLabTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    final class Recorder: ReportSink, Sendable {
        private let store = Mutex<[HostTaskResult]>([])
        var results: [HostTaskResult] { store.withLock { $0 } }
        func handle(_ event: RunEvent) async {
            if case .hostResult(let result) = event { store.withLock { $0.append(result) } }
        }
    }

    func play(_ lab: FirewalldLab, trusted: [String], check: Bool = false) async throws -> (PlaybookRunner.ExitStatus, [HostTaskResult]) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-fw-role-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let inventory = """
            [vps]
            \(lab.host.name) ansible_host=\(lab.host.address) ansible_user=root ansible_ssh_private_key_file=\(lab.lab.clientKeyPath)
            [vps:vars]
            ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.lab.knownHostsPath) -o StrictHostKeyChecking=yes'
            """
        let playbook = """
            - hosts: vps
              gather_facts: false
              roles:
                - role: vps_firewall
                  vars:
                    vps_firewall_trusted_networks: [\(trusted.joined(separator: ", "))]
            """
        try inventory.write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        try playbook.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        var options = RunOptions()
        options.inventorySources = [directory + "/inventory.ini"]
        options.rolesPath = [Self.repository + "/roles"]
        options.checkMode = check
        options.diffMode = true
        let recorder = Recorder()
        let status = await PlaybookRunner(options: options, sinks: [recorder]).run([directory + "/site.yml"])
        return (status, recorder.results)
    }

    static let zoneTask = "Public zone (HTTP and HTTPS for all, SSH from trusted networks, app ports closed, denials logged)"

    func changed(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .changed }.map(\.task.name) }

    @Test func theVPSPolicyIsWrittenOfflineStartedAndHoldsFromOutside() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.stopFirewalld()
        let trusted = ["198.18.0.1/32", "203.0.113.0/24"]

        let (checkStatus, predicted) = try await play(lab, trusted: trusted, check: true)
        #expect(checkStatus == .ok, "\(predicted.filter { $0.status == .failed }.map { $0.message ?? "" })")
        #expect(changed(predicted) == ["vps_firewall : \(Self.zoneTask)", "vps_firewall : Start firewalld with the zone written offline"])
        #expect(try lab.inspect("ls -A /etc/firewalld/zones; systemctl is-active firewalld || true") == "inactive\n", "check mode changed the host")

        let (status, results) = try await play(lab, trusted: trusted)
        #expect(status == .ok, "\(results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        #expect(changed(results) == changed(predicted))
        let (againStatus, again) = try await play(lab, trusted: trusted)
        #expect(againStatus == .ok)
        #expect(changed(again) == [], "second run changed something")

        for permanent in [true, false] {
            let publicZone = try lab.zone("public", permanent: permanent)
            #expect(publicZone.services == ["http", "https"])
            #expect(publicZone.ports.isEmpty)
            #expect(publicZone.richRules.filter { $0.contains("log prefix=\"vps-closed: \"") && $0.hasSuffix(" reject") }.count == 4)
            #expect(publicZone.richRules.filter { $0.hasSuffix(#"service name="ssh" accept"#) }
                    == [#"rule family="ipv4" source address="198.18.0.1/32" service name="ssh" accept"#,
                        #"rule family="ipv4" source address="203.0.113.0/24" service name="ssh" accept"#])
        }
        #expect(try lab.inspect("firewall-cmd --get-log-denied") == "all\n")

        // From the world (another lab host, not in a trusted network): HTTP yes, SSH and the app ports no.
        try lab.listen(on: 80)
        try lab.listen(on: 3000)
        try lab.listen(on: 5432)
        let world = try await LabFixture.shared.hosts(1, prefix: "fwworld")[0]
        func fromWorld(_ port: Int) throws -> Int32 {
            try lab.lab.exec(world.name, "curl -s -o /dev/null --max-time 5 http://\(lab.host.address):\(port)/").status
        }
        #expect(try fromWorld(80) == 0)
        #expect(try fromWorld(3000) == 7)
        #expect(try fromWorld(5432) == 7)
        #expect(try lab.lab.exec(world.name, "curl -s --max-time 5 telnet://\(lab.host.address):22 </dev/null").status == 7, "SSH reachable from the world")
        // From the controller (trusted): SSH (this very connection) and HTTP, but not the app ports.
        #expect(try lab.connectFromController(port: 80) == 0)
        #expect(try lab.connectFromController(port: 3000) == 7)
        #expect(try await lab.context.run("echo ok").stdoutText == "ok\n")
        // The closed app port's refusal is logged with the role's prefix.
        try Data("1\n".utf8).write(to: URL(fileURLWithPath: FirewalldLogProbe.sysctl))
        #expect(try fromWorld(3000) == 7)
        let logged = try FirewalldLogProbe.kernelLog().split(separator: "\n").filter {
            $0.contains("vps-closed: ") && $0.contains("SRC=\(world.address) ") && $0.contains("DPT=3000 ")
        }
        #expect(!logged.isEmpty, "no vps-closed line for the refused port 3000")
        try lab.startClean()
    }

    @Test func theRoleRefusesToCutTheControllerOutsideTheTrustedNetworks() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        let (status, results) = try await play(lab, trusted: ["203.0.113.0/24"])
        #expect(status != .ok)
        let failed = try #require(results.first { $0.status == .failed })
        #expect(failed.task.name == "vps_firewall : \(Self.zoneTask)")
        #expect(failed.message?.contains("allow_lockout") == true, "\(failed.message ?? "")")
        #expect(try lab.zone("public", permanent: false).services.contains("ssh"))
        try lab.startClean()
    }
}
}
