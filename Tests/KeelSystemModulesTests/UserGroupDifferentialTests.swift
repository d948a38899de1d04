import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing

/// The same playbook of user and group tasks (authorized_key lives in the ansible.posix collection,
/// which the oracle venv does not carry) runs with ansible-playbook on lab host A
/// and with the `keel` binary on lab host B; both hosts start as the same overlay of this machine, so the
/// accounts they end with (getent passwd/group/shadow, home directories) must be identical.
@Suite("user and group: Keel and Ansible leave identical accounts", .serialized) struct UserGroupDifferentialTests {
    static let hash = "$6$keelsalt$Zy8cTUzQz1xPZx5f0bPW7r0D2v1Ff2Y6V5uU3i0c8C7bqk7aHfXl5Cw0p6xk2Zp0kR8z1qfX0H2b3W9sVqzY0."
    static let names = ["kdgrp", "kdsys", "kdextra", "kdalice", "kdbob", "kdsvc", "kdgone", "kdcarol", "kddave"]

    static let playbook = """
        - hosts: all
          gather_facts: false
          tasks:
            - group: name=kdgrp gid=2450
            - group: name=kdsys system=true
            - group: name=kdextra
            - name: a user with everything
              user:
                name: kdalice
                uid: 2451
                group: kdgrp
                groups: [kdextra, kdsys]
                shell: /bin/bash
                password: "\(hash)"
            - user: name=kdbob groups=kdextra append=true create_home=false shell=/bin/sh
            - user: name=kdsvc system=true shell=/usr/sbin/nologin create_home=false
            - user: name=kdgone state=absent remove=true
            - user: name=kdalice groups=kdextra append=true comment="Alice D."
            - name: a home below a directory that does not exist yet
              user: name=kdcarol home=/srv/kdhomes/carol uid=2460 comment=Carol
            - user:
                name: kddave
                password: "\(hash)"
                update_password: on_create
                password_lock: true
                create_home: false
        """

    /// What a host ends with: every account field Keel and Ansible could disagree on.
    static let fingerprint = """
        for n in \(names.joined(separator: " ")); do getent passwd $n || echo "no passwd $n"; getent group $n || echo "no group $n"; getent shadow $n | cut -d: -f1,2,4- || echo "no shadow $n"; done
        for h in /home/kdalice /home/kdbob /home/kdsvc /home/kdgone /home/kdalice/.bashrc /srv/kdhomes /srv/kdhomes/carol /home/kddave; do
          if [ -e $h ]; then stat -c '%n %a %U %G' $h; else echo "no $h"; fi
        done
        ls -A /home/kdalice 2>/dev/null
        """

    static let cleanup = """
        for u in kdalice kdbob kdsvc kdgone kdcarol kddave; do userdel -r -f $u >/dev/null 2>&1; done
        for g in kdgrp kdsys kdextra kdalice kdbob kdsvc kdgone kdcarol kddave; do groupdel $g >/dev/null 2>&1; done
        rm -rf /srv/kdhomes
        useradd -m kdgone
        true
        """

    static var repositoryRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func keelAndAnsibleCreateTheSameAccounts() async throws {
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        let ansible = venv + "/bin/ansible-playbook"
        guard FileManager.default.isExecutableFile(atPath: ansible) else {
            throw KeelError("ansible-playbook is not installed at \(ansible): run `bash scripts/python-oracles.sh` (or set KEEL_VENV)")
        }
        let keel = Self.repositoryRoot + "/.build/debug/keel"
        guard FileManager.default.isExecutableFile(atPath: keel) else { throw KeelError("build keel first: \(keel) is missing") }
        let hosts = try await LabFixture.shared.hosts(2, prefix: "udiff")
        let lab = LabFixture.shared.lab
        for host in hosts { _ = try lab.exec(host.name, Self.cleanup) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-udiff-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.playbook.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)
        let inventory = lab.directory + "/inventory.ini"

        let ansibleRun = try run(ansible, ["-i", inventory, "-l", hosts[0].name, directory + "/site.yml"],
                                 environment: ["ANSIBLE_HOME": directory + "/ansible", "ANSIBLE_LOCAL_TEMP": directory + "/ansible/tmp", "ANSIBLE_NOCOLOR": "1"])
        #expect(ansibleRun.status == 0, "ansible-playbook failed:\n\(ansibleRun.output)")
        let keelRun = try run(keel, ["play", "-i", inventory, "-l", hosts[1].name, directory + "/site.yml"])
        #expect(keelRun.status == 0, "keel play failed:\n\(keelRun.output)")

        let ansibleHost = try lab.exec(hosts[0].name, Self.fingerprint).stdout
        let keelHost = try lab.exec(hosts[1].name, Self.fingerprint).stdout
        #expect(keelHost == ansibleHost)
        #expect(ansibleHost.contains("kdalice:x:2451:2450:Alice D.:/home/kdalice:/bin/bash"), "the playbook did what it says: \(ansibleHost)")

        // Converged: a second Keel run changes nothing.
        let again = try run(keel, ["play", "-i", inventory, "-l", hosts[1].name, directory + "/site.yml"])
        #expect(again.status == 0)
        #expect(again.output.contains("changed=0"), "second keel run:\n\(again.output)")
    }
}
