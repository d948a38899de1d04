import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `raw`: the text as the host's /bin/sh gets it, with nothing around it: no chdir, no creates/removes,
/// no module wrapper (ansible.builtin.raw). Useful before anything else exists on a host.
public struct RawModule: Module {
    public static let name = "raw"
    public static let spec = ArgumentSpec(Arguments.self, acceptsFreeForm: true)
    public static let documentation = ModuleDocumentation(
        summary: "Run a command line as is, without any checks",
        description: "Sends the free-form text to the host's shell. Always reports changed; fails when the exit status is not 0. Returns rc, stdout, stdout_lines, stderr.",
        examples: """
            - raw: test -e /usr/bin/python3 || (apt-get update && apt-get install -y python3-minimal)
            - raw: cat /proc/loadavg
              register: load
              changed_when: false
            """,
        deviations: ["stdout and stderr are kept apart (Ansible's raw over a tty mixes them into stdout).",
                     "Skipped in check mode, as in Ansible."])

    public struct Arguments: ModuleArguments {
        /// Free-form text after the module name.
        var _raw_params: String? = nil
        @Option("executable", .path, help: "Run the text with this shell (`executable -c text`) instead of /bin/sh.") var executable: String?

        public init() {}
    }

    public typealias State = Bool
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var script: String
        public var description: String { "run: \(script)" }
    }

    public static var supportsCheckMode: Bool { false }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> Bool { true }

    public func plan(_ a: Arguments, observed: Bool, on host: HostContext) throws -> Plan<Step> {
        guard let text = a._raw_params, !text.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw KeelError("raw needs a command line after the module name", expected: "raw: <command line>", found: "nothing")
        }
        let script = a.executable.map { "exec \(ShellQuote.quote($0)) -c \(ShellQuote.quote(text))" } ?? text
        return Plan(steps: [Step(script: script)], values: ["cmd": .string(text)])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let result = try await host.run(plan.steps[0].script)
        var values = CommandOutput.values(result, stripEmptyEnds: false)
        if result.status != 0 {
            values["msg"] = "non-zero return code"
            throw ModuleFailure(message: "non-zero return code", values: values)
        }
        return .changed(values)
    }
}

/// rc, stdout, stderr and their _lines as Ansible's command-like modules report them.
enum CommandOutput {
    static func values(_ result: CommandResult, stripEmptyEnds: Bool) -> OrderedDictionary<String, Value> {
        func clean(_ text: String) -> String {
            guard stripEmptyEnds else { return text }
            var t = text
            while let last = t.unicodeScalars.last, last == "\n" || last == "\r" { t.unicodeScalars.removeLast() }
            return t
        }
        func lines(_ text: String) -> Value {
            var split = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if split.last == "" { split.removeLast() }
            return .list(split.map { .string($0) })
        }
        let stdout = clean(result.stdoutText), stderr = clean(result.stderrText)
        return ["rc": .int(Int(result.status)), "stdout": .string(stdout), "stdout_lines": lines(stdout),
                "stderr": .string(stderr), "stderr_lines": lines(stderr)]
    }
}
