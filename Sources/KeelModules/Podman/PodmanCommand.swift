import Foundation
import KeelBase
import KeelTransport

/// Running podman on a host through the task's connection: command lines built from argument lists (every
/// word quoted), scripts whose output comes back in named sections (so one round trip can read a
/// container, its image and a unit), and podman's JSON decoded into `Value`.
public enum PodmanCommand {
    /// `podman ARG...` with each argument quoted for the remote shell.
    public static func line(_ arguments: [String], executable: String = "podman") -> String {
        ([executable] + arguments).map(ShellQuote.quote).joined(separator: " ")
    }

    /// Runs `podman ARG...` and returns its stdout; throws, naming the host and `failure`, when it fails.
    @discardableResult
    public static func run(_ arguments: [String], on host: HostContext, failure: @autoclosure () -> String) async throws -> String {
        try await host.runPodmanChecked(line(arguments), failure: failure()).stdoutText
    }

    /// The line that starts section `name` in a sectioned script's output. Unlikely in podman's output.
    static func marker(_ name: String) -> String { "@@keel-podman-section \(name)@@" }

    /// A script that prints each section's marker and then runs its commands, whatever they exit with.
    public static func sectionedScript(_ sections: [(name: String, script: String)]) -> String {
        sections.map { "echo \(ShellQuote.quote(marker($0.name)))\n\($0.script)" }.joined(separator: "\n") + "\ntrue\n"
    }

    /// Splits a sectioned script's output back into its sections, by name.
    public static func sections(_ output: String) -> [String: String] {
        var result: [String: String] = [:]
        var current: String?
        var lines: [Substring] = []
        func close() { if let current { result[current] = lines.joined(separator: "\n") } }
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@keel-podman-section "), line.hasSuffix("@@") {
                close()
                current = String(line.dropFirst("@@keel-podman-section ".count).dropLast(2))
                lines = []
            } else {
                lines.append(line)
            }
        }
        close()
        return result
    }

    /// The first object of podman's `inspect` output (a JSON list), nil when the output is empty, `[]` or
    /// not JSON (podman prints an error and nothing else for a missing object).
    public static func firstInspected(_ text: String) -> Value? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("["), let value = try? Value.parseJSON(trimmed), let first = value.listValue?.first,
              first.dictValue != nil else { return nil }
        return first
    }
}

extension Value {
    /// `value["a", "b"]`: a nested lookup through dictionaries, nil where a key is missing.
    subscript(path keys: String...) -> Value? {
        var current: Value? = self
        for key in keys { current = current?.dictValue?[key] }
        return current
    }

    /// The strings of a JSON list (non-strings are dropped), nil when it is not a list.
    var stringList: [String]? { listValue?.compactMap(\.stringValue) }

    /// A number or numeric string as Int (podman writes some sizes as strings).
    var integer: Int? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int(d)
        case .string(let s): return Int(s)
        default: return nil
        }
    }

    /// Scalars as text the way a task writes them: `8080` and `"8080"` are the same environment value.
    var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e15 ? String(Int(d)) : String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return ""
        default: return nil
        }
    }
}

extension HostContext {
    /// Runs a script that calls podman from `/`: rootless podman (a task with become_user) re-executes
    /// itself in the user's namespace and fails ("cannot chdir to /root: Permission denied") in a
    /// directory the user cannot enter, such as the login directory of the connection's user.
    func runPodman(_ script: String) async throws -> CommandResult {
        try await run("cd / && " + script)
    }

    @discardableResult
    func runPodmanChecked(_ script: String, failure: @autoclosure () -> String) async throws -> CommandResult {
        try await runChecked("cd / && " + script, failure: failure())
    }
}
