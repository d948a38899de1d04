import Foundation
import KeelBase
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
        let ansible = venv + "/bin/ansible"
        guard FileManager.default.isExecutableFile(atPath: ansible) else { throw Missing() }
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ansible-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ansible)
        process.arguments = ["localhost", "-c", "local", "-i", "localhost,", "-m", module, "-a", Value.dict(arguments).jsonString(),
                             "-e", "ansible_python_interpreter=\(venv)/bin/python"]
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_HOME"] = home
        environment["ANSIBLE_LOCAL_TEMP"] = home + "/tmp"
        environment["ANSIBLE_NOCOLOR"] = "1"
        process.environment = environment
        // Output to a file, not a pipe: with tests running side by side, a pipe's write end can be
        // inherited by a long-lived process another test spawns (ssh-agent), and end-of-file never comes.
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let log = home + "/output"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = FileManager.default.contents(atPath: log) ?? Data()
        // The ad-hoc output is `localhost | CHANGED => {json}` (SUCCESS, FAILED!).
        let text = String(decoding: output, as: UTF8.self)
        guard let arrow = text.range(of: " => ") else {
            throw KeelError("unexpected ansible output: \(text.prefix(500))")
        }
        let result = try Value.parseJSON(String(text[arrow.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines))
        return (result["changed"]?.isTruthy ?? false, text.contains("| FAILED!") || (result["failed"]?.isTruthy ?? false), result)
    }
}
