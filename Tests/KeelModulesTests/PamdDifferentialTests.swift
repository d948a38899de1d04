import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// Each case edits the same PAM file with community.general.pamd and with Keel's pamd; the results must be
/// identical apart from the `# Updated by Ansible - TIME` line, and both must agree on changed and change_count.
@Suite("pamd matches Ansible") struct PamdDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var arguments: OrderedDictionary<String, Value>
        var testDescription: String { name }
    }

    static let file = """
        #
        # /etc/pam.d/common-password
        #
        # here are the per-package modules (the "Primary" block)
        password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt
        # here's the fallback if no module succeeds
        password\trequisite\t\t\tpam_deny.so
        password    required    pam_permit.so
        @include common-extra
        auth  optional  pam_cap.so
        # trailing comment

        """

    static let cases: [Case] = [
        Case(name: "update control", arguments: ["type": "password", "control": "requisite", "module_path": "pam_deny.so", "new_control": "required"]),
        Case(name: "update arguments", arguments: ["type": "password", "control": "[success=1 default=ignore]", "module_path": "pam_unix.so",
                                                   "module_arguments": ["sha512", "rounds=5000"]]),
        Case(name: "update nothing to do", arguments: ["type": "password", "control": "required", "module_path": "pam_permit.so", "new_control": "required"]),
        Case(name: "insert before (drops the comment in between)", arguments: ["type": "password", "control": "requisite", "module_path": "pam_deny.so",
                                                                              "new_type": "password", "new_control": "optional", "new_module_path": "pam_gnome_keyring.so", "state": "before"]),
        Case(name: "insert before the first rule", arguments: ["type": "password", "control": "[success=1 default=ignore]", "module_path": "pam_unix.so",
                                                               "new_type": "password", "new_control": "required", "new_module_path": "pam_pwquality.so",
                                                               "module_arguments": ["retry=3"], "state": "before"]),
        Case(name: "insert after the last rule", arguments: ["type": "auth", "control": "optional", "module_path": "pam_cap.so",
                                                             "new_type": "session", "new_control": "optional", "new_module_path": "pam_systemd.so", "state": "after"]),
        Case(name: "insert after when already there", arguments: ["type": "password", "control": "requisite", "module_path": "pam_deny.so",
                                                                  "new_type": "password", "new_control": "required", "new_module_path": "pam_permit.so", "state": "after"]),
        Case(name: "args_present adds and changes", arguments: ["type": "password", "control": "[success=1 default=ignore]", "module_path": "pam_unix.so",
                                                                "module_arguments": ["rounds=8"], "state": "args_present"]),
        Case(name: "args_present already there", arguments: ["type": "password", "control": "[success=1 default=ignore]", "module_path": "pam_unix.so",
                                                             "module_arguments": ["obscure"], "state": "args_present"]),
        Case(name: "args_absent", arguments: ["type": "password", "control": "[success=1 default=ignore]", "module_path": "pam_unix.so",
                                              "module_arguments": ["obscure"], "state": "args_absent"]),
        Case(name: "absent", arguments: ["type": "auth", "control": "optional", "module_path": "pam_cap.so", "state": "absent"]),
        Case(name: "absent when missing", arguments: ["type": "auth", "control": "required", "module_path": "pam_nothing.so", "state": "absent"]),
    ]

    static func normalized(_ text: String?) -> String? {
        text.map { $0.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasPrefix("# Updated by Ansible - ") ? "# Updated by Ansible - (time)" : String($0) }.joined(separator: "\n") }
    }

    @Test(arguments: cases)
    func sameResultAsAnsible(_ example: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pamd-\(UUID().uuidString)").path
        for side in ["ansible", "keel"] {
            try FileManager.default.createDirectory(atPath: dir + "/" + side, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: dir + "/\(side)/common-password", contents: Data(Self.file.utf8))
        }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var theirs = example.arguments, ours = example.arguments
        theirs["name"] = "common-password"; theirs["path"] = .string(dir + "/ansible")
        ours["name"] = "common-password"; ours["path"] = .string(dir + "/keel")
        let oracle = try AnsibleOracle.run(module: "community.general.pamd", arguments: theirs)
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let keel = try await ModuleRunner(PamdModule.self).run(ours, at: nil, on: host, mode: .apply)
        #expect(!oracle.failed, "ansible failed: \(oracle.result.jsonString())")
        #expect(keel.changed == oracle.changed)
        #expect(keel.values["change_count"] == oracle.result["change_count"])
        let expected = FileManager.default.contents(atPath: dir + "/ansible/common-password").map { String(decoding: $0, as: UTF8.self) }
        let actual = FileManager.default.contents(atPath: dir + "/keel/common-password").map { String(decoding: $0, as: UTF8.self) }
        #expect(Self.normalized(actual) == Self.normalized(expected))
    }
}

/// pamd on a lab host: the converge contract.
@Suite("pamd on a lab host") struct PamdLabTests {
    @Test func addsAnArgumentOnce() async throws {
        let host = try await LabModuleHost.make(prefix: "pamd")
        try host.sh("printf 'auth required pam_env.so\\nauth sufficient pam_unix.so nullok\\n' > \(host.root)/login")
        let result = try await host.expectConverges(PamdModule.self, ["name": "login", "path": .string(host.root), "type": "auth", "control": "sufficient",
                                                                       "module_path": "pam_unix.so", "module_arguments": ["try_first_pass"], "state": "args_present"])
        #expect(result.values["change_count"] == 1)
        let text = try host.read(host.root + "/login") ?? ""
        #expect(text.hasSuffix("auth       sufficient pam_unix.so nullok try_first_pass\n"))
        #expect(text.split(separator: "\n")[1].hasPrefix("# Updated by Ansible - "))
    }
}
