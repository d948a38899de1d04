import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// Each case edits the same starting limits file with community.general.pam_limits and with Keel's
/// pam_limits: the bytes (the module's quirks included), `changed` and `msg` must be identical.
@Suite("pam_limits matches Ansible") struct PamLimitsDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var initial: String?
        var arguments: OrderedDictionary<String, Value>
        var testDescription: String { name }
    }

    static let limits = "# /etc/security/limits.conf\n*  soft  nofile  1024 # raised for the app\n@ops hard nproc 50\n\n"
    static let plain = "# limits\n@ops hard nproc 50\napp soft nofile unlimited\n"

    static let cases: [Case] = [
        Case(name: "new file, with a comment", initial: nil,
             arguments: ["domain": "*", "limit_type": "hard", "limit_item": "core", "value": "0", "comment": "no core dumps"]),
        Case(name: "append to a file", initial: plain, arguments: ["domain": "*", "limit_type": "hard", "limit_item": "core", "value": "0"]),
        Case(name: "already right", initial: plain, arguments: ["domain": "@ops", "limit_type": "hard", "limit_item": "nproc", "value": "50"]),
        Case(name: "change a value", initial: plain, arguments: ["domain": "@ops", "limit_type": "hard", "limit_item": "nproc", "value": "80"]),
        Case(name: "use_max keeps the larger", initial: plain,
             arguments: ["domain": "@ops", "limit_type": "hard", "limit_item": "nproc", "value": "20", "use_max": true]),
        Case(name: "use_min takes the smaller", initial: plain,
             arguments: ["domain": "@ops", "limit_type": "hard", "limit_item": "nproc", "value": "20", "use_min": true]),
        Case(name: "use_min against unlimited", initial: plain,
             arguments: ["domain": "app", "limit_type": "soft", "limit_item": "nofile", "value": "4096", "use_min": true]),
        Case(name: "another line's comment is reused", initial: limits,
             arguments: ["domain": "app", "limit_type": "-", "limit_item": "nice", "value": "-5"]),
        Case(name: "a replaced line with a comment", initial: limits,
             arguments: ["domain": "*", "limit_type": "soft", "limit_item": "nofile", "value": "4096"]),
        Case(name: "no final newline", initial: "@ops hard nproc 50", arguments: ["domain": "x", "limit_type": "soft", "limit_item": "cpu", "value": "10"]),
    ]

    @Test(arguments: cases)
    func sameResultAsAnsible(_ example: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let theirs = dir + "/ansible.conf", ours = dir + "/keel.conf"
        if let initial = example.initial {
            for path in [theirs, ours] { FileManager.default.createFile(atPath: path, contents: Data(initial.utf8)) }
        }
        var theirArguments = example.arguments, ourArguments = example.arguments
        theirArguments["dest"] = .string(theirs)
        ourArguments["dest"] = .string(ours)
        let oracle = try AnsibleOracle.run(module: "community.general.pam_limits", arguments: theirArguments)
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let keel = try await ModuleRunner(PamLimitsModule.self).run(ourArguments, at: nil, on: host, mode: .apply)
        #expect(!oracle.failed, "ansible failed: \(oracle.result.jsonString())")
        #expect(keel.changed == oracle.changed)
        #expect(keel.values["msg"] == oracle.result["msg"])
        let expected = FileManager.default.contents(atPath: theirs).map { String(decoding: $0, as: UTF8.self) }
        let actual = FileManager.default.contents(atPath: ours).map { String(decoding: $0, as: UTF8.self) }
        #expect(actual == expected)
    }

    @Test func invalidValuesAreRefusedAsAnsibleDoes() async throws {
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-limits-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        await #expect { try await ModuleRunner(PamLimitsModule.self).run(["dest": .string(dir + "/l.conf"), "domain": "*", "limit_type": "soft",
                                                                          "limit_item": "nofile", "value": "lots"], at: nil, on: host, mode: .apply) } throws: {
            "\($0)".contains("Value of 'lots' for item 'nofile' is invalid")
        }
    }
}

/// pam_limits on a lab host: the converge contract (check mode predicts, second run is ok) in limits.d.
@Suite("pam_limits on a lab host") struct PamLimitsLabTests {
    @Test func aLimitConvergesInLimitsD() async throws {
        let host = try await LabModuleHost.make(prefix: "pamlimits")
        let path = host.root + "/limits.d/10.hardcore.conf"
        try host.sh("mkdir -p \(host.root)/limits.d")
        try await host.expectConverges(PamLimitsModule.self, ["dest": .string(path), "domain": "*", "limit_type": "hard", "limit_item": "core",
                                                              "value": "0", "comment": "no core dumps"])
        #expect(try host.read(path) == "*\thard\tcore\t0\t#no core dumps\n")
        await #expect { try await host.run(PamLimitsModule.self, ["dest": .string(host.root + "/missing/x.conf"), "domain": "*",
                                                                 "limit_type": "hard", "limit_item": "core", "value": "0"]) } throws: {
            "\($0)".contains("is not writable")
        }
    }
}
