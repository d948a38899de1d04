import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// One playbook (Parity/site.yml, a role with files/, templates/, defaults) runs with ansible-playbook on
/// lab host A and with Keel on lab host B; what it leaves below /srv/parity must be identical: every
/// path's type, mode, owner, group, link target and content, and the account the role makes. Keel's run is also checked for check-mode
/// accuracy and idempotence on its host. To cover more modules, add tasks to the fixture and, for state
/// outside /srv/parity (users, groups), extend `observe`.
@Suite("Ansible parity on lab hosts", .serialized) struct AnsibleParityTests {
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Parity").path
    static let root = "/srv/parity"

    /// The fixture's files, for PlaybookHarness.
    static func fixtureFiles() throws -> [String: String] {
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: fixture)
        while let name = enumerator?.nextObject() as? String {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: fixture + "/" + name, isDirectory: &isDirectory)
            if !isDirectory.boolValue { files[name] = try String(contentsOfFile: fixture + "/" + name, encoding: .utf8) }
        }
        return files
    }

    /// An INI inventory putting one lab host in the group `parity`, as the lab's own inventory describes it.
    static func inventory(_ host: LabHost, lab: Lab) -> String {
        """
        [parity]
        \(host.name) ansible_host=\(host.address) ansible_user=root ansible_ssh_private_key_file=\(lab.clientKeyPath)

        [parity:vars]
        ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'
        ansible_python_interpreter=/usr/bin/python3

        """
    }

    /// What the playbook manages on a host, read directly (not through Keel or Ansible).
    static func observe(_ host: LabHost, lab: Lab) throws -> String {
        let script = """
            cd \(root) || exit 1
            find . -printf '%p %y %m %u %g %l\\n' | sort
            find . -type f | sort | while read -r f; do echo "== $f"; cat "$f"; done
            echo "== accounts"; getent passwd parityapp; getent group parityapp; id parityapp
            """
        let result = try lab.exec(host.name, script)
        guard result.status == 0 else { throw KeelError("cannot observe \(host.name): \(result.stderr)") }
        return result.stdout
    }

    static func reset(_ host: LabHost, lab: Lab) throws {
        _ = try lab.exec(host.name, "userdel parityapp 2>/dev/null; groupdel parityapp 2>/dev/null; rm -rf \(root); mkdir -p \(root)")
    }

    /// Files the playbook fetched to the controller, below `directory`/fetched/<host>/, by path below that.
    static func fetched(in directory: String, host: String) -> [String: String] {
        let base = directory + "/fetched/" + host
        var files: [String: String] = [:]
        let enumerator = FileManager.default.enumerator(atPath: base)
        while let name = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: base + "/" + name) { files[name] = String(decoding: data, as: UTF8.self) }
        }
        return files
    }

    func runAnsible(on host: LabHost, lab: Lab) throws -> (status: Int32, output: String, fetched: [String: String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-parity-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (name, text) in try Self.fixtureFiles() {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try Self.inventory(host, lab: lab).write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        let (status, output) = try AnsibleTool.run("ansible-playbook", ["-i", dir + "/inventory.ini", dir + "/site.yml"],
                                                   home: dir + "/.ansible", currentDirectory: dir,
                                                   environment: ["ANSIBLE_RETRY_FILES_ENABLED": "0"])
        return (status, output, Self.fetched(in: dir, host: host.name))
    }

    func keelHarness(for host: LabHost, lab: Lab) throws -> PlaybookHarness {
        var files = try Self.fixtureFiles()
        files["inventory.ini"] = Self.inventory(host, lab: lab)
        return try PlaybookHarness(files: files)
    }

    @Test func keelLeavesWhatAnsibleLeaves() async throws {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "parity")
        let lab = LabFixture.shared.lab
        let (ansibleHost, keelHost) = (hosts[0], hosts[1])
        try Self.reset(ansibleHost, lab: lab)
        try Self.reset(keelHost, lab: lab)

        let ansible = try runAnsible(on: ansibleHost, lab: lab)
        #expect(ansible.status == 0, "ansible-playbook failed:\n\(ansible.output)")
        let harness = try keelHarness(for: keelHost, lab: lab)
        let keel = await harness.play(inventory: ["inventory.ini"])
        #expect(keel.status == .ok, "keel failed: \(keel.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")

        let theirs = try Self.observe(ansibleHost, lab: lab)
        let ours = try Self.observe(keelHost, lab: lab)
        #expect(!theirs.isEmpty)
        #expect(ours == theirs)
        // fetch: the same files below the controller's dest/<inventory_hostname>/.
        let ourFetched = Self.fetched(in: harness.directory, host: keelHost.name)
        #expect(!ansible.fetched.isEmpty)
        #expect(ourFetched == ansible.fetched)
    }

    @Test func keelConvergesOnceAndPredictsDriftInCheckMode() async throws {
        let host = try await LabFixture.shared.hosts(2, prefix: "parity")[1]
        let lab = LabFixture.shared.lab
        try Self.reset(host, lab: lab)
        let harness = try keelHarness(for: host, lab: lab)
        let first = await harness.play(inventory: ["inventory.ini"])
        #expect(first.status == .ok, "\(first.results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        let second = await harness.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok)
        #expect(second.changedTasks.isEmpty, "changed again: \(second.changedTasks)")

        // Someone edits the host by hand: check mode must name exactly the tasks that then repair it.
        _ = try lab.exec(host.name, """
            cd \(Self.root)
            echo 'listen 1' > etc/app.conf
            chmod 0666 etc/settings.ini
            rm www/api.conf
            sed -i 's/198.18.0.22/10.9.9.9/' etc/hosts
            """)
        let drifted = try Self.observe(host, lab: lab)
        let predicted = await harness.play(check: true, inventory: ["inventory.ini"])
        #expect(predicted.status == .ok)
        #expect(try Self.observe(host, lab: lab) == drifted, "check mode changed the host")
        let repair = await harness.play(inventory: ["inventory.ini"])
        #expect(repair.status == .ok)
        #expect(!repair.changedTasks.isEmpty)
        #expect(predicted.changedTasks == repair.changedTasks)
        #expect(await harness.play(check: true, inventory: ["inventory.ini"]).changedTasks.isEmpty)
    }
}
