import Foundation
import KeelBase
import KeelEngine
import KeelTestSupport

/// The same playbook run by ansible-playbook and by Keel, each in a directory of its own (`@DIR@` in the
/// files is that directory), for tests whose playbooks record what they saw (registered results, groups,
/// hostvars) in files on the controller: the files must then be the same. Hosts with
/// `ansible_connection=local` run on the controller with the oracle's Python, so no lab host is needed.
struct ControllerDifferential {
    let files: [String: String]

    /// An inventory line's variables for a host that runs on the controller under both tools.
    static var localHost: String { "ansible_connection=local ansible_python_interpreter=\(AnsibleTool.venv)/bin/python" }

    final class Runs {
        let ansibleStatus: Int32
        let ansibleOutput: String
        let ansibleDirectory: String
        let keel: PlaybookHarness.Outcome
        let keelHarness: PlaybookHarness

        init(ansibleStatus: Int32, ansibleOutput: String, ansibleDirectory: String, keel: PlaybookHarness.Outcome, keelHarness: PlaybookHarness) {
            self.ansibleStatus = ansibleStatus
            self.ansibleOutput = ansibleOutput
            self.ansibleDirectory = ansibleDirectory
            self.keel = keel
            self.keelHarness = keelHarness
        }

        deinit { try? FileManager.default.removeItem(atPath: ansibleDirectory) }

        /// A file each run left, by name below its directory.
        func files(_ name: String) -> (ansible: String?, keel: String?) {
            (FileManager.default.contents(atPath: ansibleDirectory + "/" + name).map { String(decoding: $0, as: UTF8.self) },
             keelHarness.read(name))
        }

        /// A JSON file each run left, parsed, without the `"failed": false` Ansible adds to every result
        /// (Keel's registered results carry `failed` only when true).
        func json(_ name: String) throws -> (ansible: Value?, keel: Value?) {
            let (a, k) = files(name)
            return (try a.map { Self.withoutFailedFalse(try Value.parseJSON($0)) }, try k.map { Self.withoutFailedFalse(try Value.parseJSON($0)) })
        }

        static func withoutFailedFalse(_ value: Value) -> Value {
            switch value {
            case .dict(let d): return .dict(d.filter { !($0.key == "failed" && $0.value == .bool(false)) }.mapValues(withoutFailedFalse))
            case .list(let l): return .list(l.map(withoutFailedFalse))
            default: return value
            }
        }
    }

    /// Runs `playbook` with `inventory` under both tools.
    func run(playbook: String = "site.yml", inventory: String = "inventory.ini", ansibleArguments: [String] = [],
             configure: (inout RunOptions) -> Void = { _ in }) async throws -> Runs {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-differential-\(UUID().uuidString)").path
        for (name, text) in files {
            let path = dir + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.replacingOccurrences(of: "@DIR@", with: dir).write(toFile: path, atomically: true, encoding: .utf8)
        }
        let (status, output) = try AnsibleTool.run("ansible-playbook", ["-i", dir + "/" + inventory, dir + "/" + playbook] + ansibleArguments,
                                                   home: dir + "/.ansible", currentDirectory: dir,
                                                   environment: ["ANSIBLE_RETRY_FILES_ENABLED": "0"])
        let harness = try PlaybookHarness(files: files)
        let keel = await harness.play(playbook, inventory: [inventory], configure: configure)
        return Runs(ansibleStatus: status, ansibleOutput: output, ansibleDirectory: dir, keel: keel, keelHarness: harness)
    }
}
