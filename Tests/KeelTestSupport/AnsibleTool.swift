import Foundation
import KeelBase

/// Runs a tool of real ansible-core (`ansible`, `ansible-playbook`) from the oracle virtualenv that
/// scripts/python-oracles.sh installs, hermetically: its own ANSIBLE_HOME and temporary directory, no colors.
public enum AnsibleTool {
    public static var venv: String { ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv" }

    /// Runs `tool` with `arguments`; `home` is the throw-away directory for Ansible's own files (created
    /// here). Returns the exit status and what it printed (stderr too unless `keepStderr` is false).
    public static func run(_ tool: String, _ arguments: [String], home: String, currentDirectory: String? = nil,
                           environment extra: [String: String] = [:], keepStderr: Bool = true) throws -> (status: Int32, output: String) {
        let executable = venv + "/bin/" + tool
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw KeelError("ansible-core is not installed in \(venv): run `bash scripts/python-oracles.sh` (or set KEEL_VENV)")
        }
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_HOME"] = home
        environment["ANSIBLE_LOCAL_TEMP"] = home + "/tmp"
        environment["ANSIBLE_NOCOLOR"] = "1"
        for (key, value) in extra { environment[key] = value }
        process.environment = environment
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        // Output to a file, not a pipe: with tests running side by side, a pipe's write end can be inherited
        // by a process that outlives Ansible (an ssh ControlPersist master, an ssh-agent another test
        // started), and the reader would wait for an end-of-file that never comes.
        let log = home + "/output.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = keepStderr ? handle : FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = FileManager.default.contents(atPath: log) ?? Data()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// The JSON after ` => ` in an ad-hoc command's output (`host | SUCCESS => {...}`).
    public static func adHocResult(_ text: String) throws -> Value {
        guard let arrow = text.range(of: " => ") else { throw KeelError("unexpected ansible output: \(text.prefix(800))") }
        return try Value.parseJSON(String(text[arrow.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
