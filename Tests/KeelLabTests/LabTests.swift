import Foundation
import KeelBase
import KeelTestSupport
import Testing
@testable import KeelLab

/// Real hosts on this machine, no mocks: these tests run as root and use the default lab directory
/// (or KEEL_LAB_DIR). Every test works on hosts of its own, so they may run side by side.
@Suite("keel lab")
struct LabTests {
    let lab = Lab()

    @Test func upIsIdempotent() throws {
        let names = ["t-idem-1", "t-idem-2"]
        let first = try timed("up 2 light hosts") { try lab.up(names: names, flavor: .light) }
        let pids = try names.map { try lab.processes($0) }
        let second = try timed("up 2 running light hosts again") { try lab.up(names: names, flavor: .light) }
        #expect(second == first)
        #expect(try names.map { try lab.processes($0) } == pids)
        #expect(Set(first.map(\.address)).count == 2)
    }

    @Test func lightHostAnswersStrictSSHWithItsOwnHostname() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "ssh")[0]
        let result = try StrictSSH.run(lab, host, "hostname")
        #expect(result.status == 0, "ssh failed: \(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == host.name)
    }

    @Test func fileWrittenInOneHostStaysInThatHost() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "iso")
        let marker = "/etc/keel-lab-marker-\(UUID().uuidString)"
        let write = try lab.exec(hosts[0].name, "echo here > \(marker) && cat \(marker)")
        #expect(write.status == 0 && write.stdout == "here\n", "\(write.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(try lab.exec(hosts[1].name, "test -e \(marker)").status != 0)
        // Nor can a host peek at another's files (or the lab's key) through the lab directory underneath.
        #expect(try lab.exec(hosts[1].name, "ls -A \(lab.directory)").stdout.isEmpty)
    }

    @Test func inventoryListsHostsWithTheirAddresses() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "inv")
        let inventory = try String(contentsOfFile: lab.inventoryPath, encoding: .utf8)
        for host in hosts {
            #expect(inventory.contains(
                "\(host.name) ansible_host=\(host.address) ansible_user=root ansible_ssh_private_key_file=\(lab.clientKeyPath)\n"))
        }
        #expect(inventory.contains("[lab:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'"))
        let knownHosts = try String(contentsOfFile: lab.knownHostsPath, encoding: .utf8)
        #expect(knownHosts.contains("\(hosts[0].address) \(hosts[0].hostKey)\n"))
    }

    @Test func rekeyMakesStrictSSHRefuseTheHost() throws {
        let host = try lab.up(names: ["t-rekey-1"], flavor: .light)[0]
        #expect(try StrictSSH.run(lab, host, "true").status == 0)
        let rekeyed = try lab.rekey(host.name)
        #expect(rekeyed.hostKey != host.hostKey)
        let refused = try StrictSSH.run(lab, host, "true")
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
                || refused.stderr.contains("Host key verification failed"), "stderr: \(refused.stderr)")
        // Other hosts coming up leave the stale entry alone; naming the host in `up` trusts its new key.
        _ = try lab.up(names: ["t-rekey-2"], flavor: .light)
        #expect(try StrictSSH.run(lab, host, "true").status != 0)
        _ = try lab.up(names: [host.name], flavor: .light)
        #expect(try StrictSSH.run(lab, host, "true").status == 0)
    }

    @Test func downRemovesNamespaceMountsAndProcesses() throws {
        let host = try lab.up(names: ["t-down-1"], flavor: .light)[0]
        let pids = try lab.processes(host.name)
        #expect(pids.count == 2 && pids.allSatisfy(isProcessAlive))
        #expect(try hasNamespace("t-down-1"))

        try timed("down 1 light host") { try lab.down(names: [host.name]) }
        #expect(try !hasNamespace("t-down-1"))
        #expect(!pids.contains(where: isProcessAlive))
        let mounts = readProcFile("/proc/mounts") ?? ""
        #expect(!mounts.contains("/hosts/t-down-1"))
        #expect(!FileManager.default.fileExists(atPath: "\(lab.directory)/hosts/t-down-1"))
        #expect(!(try lab.list().contains { $0.name == host.name }))
        #expect(!LabSSH.answers(address: host.address))
    }

    @Test func deadHostIsRestartedByUpWithItsAddressAndKey() throws {
        let host = try lab.up(names: ["t-revive-1"], flavor: .light)[0]
        try lab.stopSSH(host.name)
        #expect(try !lab.isRunning(host.name))
        #expect(try StrictSSH.run(lab, host, "true").status != 0)
        let revived = try lab.up(names: [host.name], flavor: .light)[0]
        #expect(revived == host)
        #expect(try StrictSSH.run(lab, host, "hostname").stdout == "\(host.name)\n")
    }

    @Test func twentyLightHostsComeUpAndAllAnswer() throws {
        let names = (1...20).map { "t-many-\($0)" }
        let hosts = try timed("up 20 light hosts") { try lab.up(names: names, flavor: .light) }
        let answers = try timed("ssh to 20 hosts at once") { try StrictSSH.runEverywhere(lab, hosts, "hostname") }
        for host in hosts {
            #expect(answers[host.name] == host.name)
        }
    }

    @Test func systemdHostBootsToRunningOrDegraded() throws {
        let host = try timed("up 1 systemd host (with the base tree if missing)") {
            try lab.up(names: ["t-systemd-1"], flavor: .systemd)[0]
        }
        #expect(host.flavor == .systemd)
        let state = try StrictSSH.run(lab, host, "systemctl is-system-running --wait")
        #expect(["running", "degraded"].contains(state.stdout.trimmingCharacters(in: .whitespacesAndNewlines)),
                "is-system-running said \(state.stdout) \(state.stderr)")
        #expect(try lab.exec(host.name, "cat /proc/1/comm").stdout == "systemd\n")
        let inventory = try String(contentsOfFile: lab.inventoryPath, encoding: .utf8)
        let systemdGroup = inventory.components(separatedBy: "[lab_systemd]\n").last?
            .components(separatedBy: "\n\n").first ?? ""
        #expect(systemdGroup.split(separator: "\n").contains("t-systemd-1"))

        // rekey works under systemd too (sshd restarted by SIGHUP serves the new key, or rekey throws).
        #expect(try lab.rekey(host.name).hostKey != host.hostKey)

        // systemd hosts mount their root on this machine: down must take it away again.
        let root = "\(lab.directory)/hosts/t-systemd-1/root"
        #expect((readProcFile("/proc/mounts") ?? "").contains(root))
        let pids = try lab.processes(host.name)
        try timed("down 1 systemd host") { try lab.down(names: [host.name]) }
        #expect(!(readProcFile("/proc/mounts") ?? "").contains(root))
        #expect(!pids.contains(where: isProcessAlive))
        #expect(try !hasNamespace("t-systemd-1"))
    }

    @Test func systemdHostWithoutSSHIsRevivedByUp() throws {
        let host = try lab.up(names: ["t-sdrevive-1"], flavor: .systemd)[0]
        try lab.stopSSH(host.name)
        #expect(try StrictSSH.run(lab, host, "true").status != 0)
        #expect(try !lab.isRunning(host.name))
        let revived = try lab.up(names: [host.name], flavor: .systemd)[0]
        #expect(revived == host)
        #expect(try StrictSSH.run(lab, host, "hostname").stdout == "\(host.name)\n")
    }

    @Test func hostNamesMustBeHostnames() throws {
        let error = #expect(throws: KeelError.self) { try lab.up(names: ["Web_1"], flavor: .light) }
        #expect(error?.found == "Web_1")
    }
}

@Suite("lab addressing")
struct LabAddressingTests {
    @Test func numberedHostsSitAtTenPlusTheirNumber() {
        #expect(LabAddressing.address(slot: LabAddressing.numberedSlot(for: "lab1")!) == "198.18.0.11")
        #expect(LabAddressing.address(slot: LabAddressing.numberedSlot(for: "lab300")!) == "198.18.1.54")
        #expect(LabAddressing.numberedSlot(for: "lab01") == nil)
        #expect(LabAddressing.numberedSlot(for: "web1") == nil)
    }

    @Test func namedHostsGetTheNextFreeSlotIn198_19() {
        var state = LabState()
        #expect(LabAddressing.address(slot: state.freeSlot(for: "web", inUse: { _ in false })) == "198.19.0.10")
        state.put(LabHostRecord(host: LabHost(name: "web", address: "198.19.0.10", flavor: .light, hostKey: ""),
                                slot: LabAddressing.firstNamedSlot))
        #expect(LabAddressing.address(slot: state.freeSlot(for: "db", inUse: { _ in false })) == "198.19.0.11")
    }

    @Test func macIsDerivedFromTheAddress() {
        #expect(LabAddressing.mac(for: "198.18.0.11") == "02:00:c6:12:00:0b")
        #expect(LabAddressing.mac(for: "198.19.0.10") == "02:00:c6:13:00:0a")
    }
}
