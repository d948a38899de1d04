import Foundation
import KeelBase

/// Runs the real Ansible tools from the oracle virtualenv, hermetically: a throw-away ANSIBLE_HOME, an
/// empty config, no colors or deprecation chatter, and a scratch working directory (so no stray
/// group_vars/ beside the current directory is read).
struct InventoryOracle {
    let venv: String
    let scratch: URL

    /// One oracle (and one scratch directory) per test process; fails loudly (never skips) when the venv
    /// is missing, naming the setup command.
    static func make() throws -> InventoryOracle {
        try shared.get()
    }

    private static let shared = Result { try create() }

    private static func create() throws -> InventoryOracle {
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        guard FileManager.default.isExecutableFile(atPath: venv + "/bin/ansible-inventory") else {
            throw KeelError("the Ansible oracle is missing: \(venv)/bin/ansible-inventory not found; run `bash scripts/python-oracles.sh` (or set KEEL_VENV)")
        }
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("keel-inventory-oracle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("tmp"), withIntermediateDirectories: true)
        try Data().write(to: scratch.appendingPathComponent("ansible.cfg"))
        return InventoryOracle(venv: venv, scratch: scratch)
    }

    /// `ansible-inventory ARGS` stdout; throws with stderr when it fails.
    func ansibleInventory(_ arguments: [String]) throws -> String {
        try run("ansible-inventory", arguments)
    }

    /// The hosts `ansible PATTERN --list-hosts` prints, in order.
    func listHosts(inventory: [String], pattern: String, limit: String? = nil) throws -> [String] {
        var arguments = inventory.flatMap { ["-i", $0] } + [pattern, "--list-hosts"]
        if let limit { arguments += ["--limit", limit] }
        let output: String
        do {
            output = try run("ansible", arguments)
        } catch let error as KeelError where error.message.contains("leaves us with no hosts") {
            return []   // ansible refuses to run with no hosts; for a pattern that is an empty selection
        }
        return output.split(separator: "\n").dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    func run(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: venv + "/bin/" + tool)
        process.arguments = arguments
        process.currentDirectoryURL = scratch
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_HOME"] = scratch.appendingPathComponent("home").path
        environment["ANSIBLE_LOCAL_TEMP"] = scratch.appendingPathComponent("tmp").path
        environment["ANSIBLE_CONFIG"] = scratch.appendingPathComponent("ansible.cfg").path
        environment["ANSIBLE_INVENTORY_UNPARSED_WARNING"] = "False"
        environment["ANSIBLE_LOCALHOST_WARNING"] = "False"
        environment["ANSIBLE_DEPRECATION_WARNINGS"] = "False"
        environment["ANSIBLE_NOCOLOR"] = "1"
        environment["ANSIBLE_HOST_PATTERN_MISMATCH"] = "ignore"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeelError("\(tool) \(arguments.joined(separator: " ")) failed (\(process.terminationStatus)): \(String(decoding: errData, as: UTF8.self))")
        }
        return String(decoding: outData, as: UTF8.self)
    }
}

/// Where the inventory fixtures live in the source tree.
enum InventoryFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/inventories")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}
