import Foundation
import Testing
import KeelBase
@testable import KeelModel

/// Parity with ansible-playbook: what Keel accepts, Ansible accepts, and the bad inputs Ansible rejects
/// while parsing are rejected by Keel too. Needs the oracle venv (bash scripts/python-oracles.sh).
@Suite struct PlaybookAnsibleOracleTests {
    /// `ansible-playbook --syntax-check`, with stub collections for the FQCN modules the fixtures use.
    func ansibleSyntaxCheck(_ playbook: String) throws -> (ok: Bool, output: String) {
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        let tool = venv + "/bin/ansible-playbook"
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw KeelError("the Ansible oracle is missing at \(tool); run: bash scripts/python-oracles.sh")
        }
        var stubs: [String: String] = ["inventory": "localhost\n"]
        for module in ["ansible/posix/firewalld", "containers/podman/podman_container",
                       "community/crypto/acme_certificate", "community/general/haproxy"] {
            let parts = module.split(separator: "/")
            stubs["ansible_collections/\(parts[0])/\(parts[1])/plugins/modules/\(parts[2]).py"] = "# stub\n"
        }
        let dir = try scratchDirectory(stubs)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-i", dir + "/inventory", "--syntax-check", playbook]
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_COLLECTIONS_PATH"] = dir
        environment["ANSIBLE_NOCOLOR"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }

    @Test func theFixturePlaybookIsValidAnsible() throws {
        let result = try ansibleSyntaxCheck(fixture("site.yml"))
        #expect(result.ok, "\(result.output)")
        _ = try loader().loadPlaybook(at: fixture("site.yml"))
    }

    @Test(arguments: [
        "- hosts: all\n  tasks:\n    - debug: msg=hi\n      whn: x\n",
        "- hosts: all\n  tasks:\n    - lineinfle: {path: /x}\n",
        "- hosts: all\n  tasks:\n    - copy: {src: a, dest: b}\n      file: {path: b}\n",
        "- hosts: all\n  tasks:\n    - name: nothing\n",
        "- hosts: all\n  hots: x\n",
        "- hosts: all\n  roles: [missing_role]\n",
        "- hosts: all\n  tasks:\n    - import_tasks: missing.yml\n",
        "- import_playbook: missing.yml\n",
        "hosts: all\n",
        "- hosts: all\n  tasks: [a, b\n",
        "- hosts: all\n  tasks:\n    - include: x.yml\n",
        "- hosts: all\n  tasks:\n    - name: x\n      rescue:\n        - ping:\n",
        "- hosts: all\n  tasks:\n    - debug: msg=x\n      listen: foo\n",
        "- hosts: all\n  vars:\n    my-var: 1\n",
        "- hosts: all\n  tasks:\n    - debug: var=item\n      loop: [1]\n      with_items: [2]\n",
    ])
    func badInputRejectedByAnsibleIsRejectedByKeel(playbook: String) throws {
        let dir = try scratchDirectory(["play.yml": playbook])
        let ansible = try ansibleSyntaxCheck(dir + "/play.yml")
        #expect(!ansible.ok, "Ansible accepted it: \(ansible.output)")
        #expect(throws: KeelError.self) { try loader().loadPlaybook(at: dir + "/play.yml") }
    }
}
