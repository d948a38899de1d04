import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections

/// Runs a real Ansible module on the controller (`ansible localhost -c local -m MODULE`) from the oracle
/// virtualenv that scripts/python-oracles.sh installs. Differential tests compare Keel against it.
enum AnsibleOracle {
    struct Missing: Error, CustomStringConvertible {
        var description: String { "ansible-core is not installed: run `bash scripts/python-oracles.sh` (or set KEEL_VENV)" }
    }

    static var venv: String { ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv" }

    /// Runs the module with JSON arguments; returns whether Ansible reported a change, and its result.
    static func run(module: String, arguments: OrderedDictionary<String, Value>) throws -> (changed: Bool, failed: Bool, result: Value) {
        guard FileManager.default.isExecutableFile(atPath: venv + "/bin/ansible") else { throw Missing() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ansible-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let (_, text) = try AnsibleTool.run("ansible", ["localhost", "-c", "local", "-i", "localhost,", "-m", module,
                                                        "-a", Value.dict(arguments).jsonString(),
                                                        "-e", "ansible_python_interpreter=\(venv)/bin/python"],
                                            home: home, keepStderr: false)
        // The ad-hoc output is `localhost | CHANGED => {json}` (SUCCESS, FAILED!).
        let result = try AnsibleTool.adHocResult(text)
        return (result["changed"]?.isTruthy ?? false, text.contains("| FAILED!") || (result["failed"]?.isTruthy ?? false), result)
    }
}
