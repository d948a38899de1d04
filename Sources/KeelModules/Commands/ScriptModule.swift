import Foundation
import KeelBase
import KeelVault
import KeelTransport
import OrderedCollections

/// `script`: a program from the controller, uploaded to a fresh temporary directory on the host, run
/// with its arguments, and removed again, all in one round trip (the file travels on stdin)
/// (ansible.builtin.script). creates/removes make it idempotent, as for command.
public struct ScriptModule: Module {
    public static let name = "script"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["_raw_params", "cmd"]], acceptsFreeForm: true)
    public static let documentation = ModuleDocumentation(
        summary: "Upload a script from the controller and run it on the host",
        description: """
            The first word is the script on the controller (relative paths: the role's files/, the role, the \
            playbook's directory), the rest its arguments (shell quoting is honoured). It is written to a new \
            temporary directory on the host, made executable, run (in chdir if given), and the directory is \
            removed whatever the outcome. Returns rc, stdout, stderr and their _lines; fails on a non-zero exit.
            """,
        examples: """
            - script: files/bootstrap.sh --env lab creates=/etc/bootstrapped
            - script:
                cmd: report.py --json
                executable: python3
              register: report
              changed_when: false
            """,
        deviations: ["In check mode a script that would run is reported as changed (not run), like command; creates/removes are honoured in the prediction. What it registers is Ansible's (without creates/removes: skipped, 'Check mode is not supported for this task.'), except that `changed` is true.",
                     "A script its creates/removes guard skips registers Ansible's result (skipped, 'PATH exists, matching creates option') but is reported ok, not skipped.",
                     "The script cannot read from standard input (the upload uses it)."])

    public struct Arguments: ModuleArguments {
        /// Free-form text after the module name.
        var _raw_params: String? = nil
        @Option("cmd", .string, help: "The script's path and arguments (instead of the free-form text).") var cmd: String?
        @Option("creates", .path, help: "Skip when this path exists on the host.") var creates: String?
        @Option("removes", .path, help: "Skip unless this path exists on the host.") var removes: String?
        @Option("chdir", .path, help: "Change into this directory on the host first.") var chdir: String?
        @Option("executable", .string, help: "Run the script with this program (e.g. python3, bash) instead of executing it.") var executable: String?

        public init() {}
    }

    public enum State: Equatable, Sendable { case mustRun(local: String, arguments: [String]), skip(CommandGuard) }
    /// The script's text (read on the controller when planning), how to start it and where.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var local: String
        var program: Data
        var arguments: [String]
        var executable: String?
        var chdir: String?

        public var description: String { "run the script \(local) (\(program.count) bytes)" + arguments.map { " " + $0 }.joined() }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard let text = a._raw_params ?? a.cmd, case let words = ShellWords.split(text), let first = words.first else {
            throw KeelError("script needs the script's path", expected: "script: <path> [arguments]", found: "nothing")
        }
        guard let local = host.files.find(first, kind: "files") else {
            throw KeelError("could not find the script '\(first)'",
                            expected: "a file in " + (host.files.searchPaths.map { $0 + "/files" } + ["the playbook's directory"]).joined(separator: ", "),
                            found: "nothing")
        }
        if a.creates != nil || a.removes != nil {
            let guardScript = CommandModule.guardScript(chdir: a.chdir, creates: a.creates, removes: a.removes)
            switch try await host.run(guardScript).stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "creates": return .skip(.creates(a.creates!))
            case "removes": return .skip(.removes(a.removes!))
            default: break
            }
        }
        return .mustRun(local: local, arguments: Array(words.dropFirst()))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        switch observed {
        case .skip(let reason):
            return .unchanged(values: reason.scriptResult)
        case .mustRun(let local, let arguments):
            guard let stored = FileManager.default.contents(atPath: local) else { throw KeelError("cannot read the script \(local)") }
            let program = try VaultedFile.plaintext(stored, path: local)
            let step = Step(local: local, program: program, arguments: arguments, executable: a.executable, chdir: a.chdir)
            var plan = Plan(steps: [step], values: ["cmd": .string(a._raw_params ?? a.cmd ?? "")])
            plan.checkModeValues = CommandGuard.scriptWouldRun(guarded: a.creates != nil || a.removes != nil)
            return plan
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let step = plan.steps[0], a = step
        let name = ShellQuote.quote((step.local as NSString).lastPathComponent)
        let run = (a.executable.map { ShellWords.split($0).map(ShellQuote.quote).joined(separator: " ") + " " } ?? "")
            + "\"$d\"/\(name)" + step.arguments.map { " " + ShellQuote.quote($0) }.joined()
        var script = """
            d=$(mktemp -d "${TMPDIR:-/tmp}/keel-script.XXXXXXXX") || exit 125
            trap 'rm -rf -- "$d"' EXIT
            cat > "$d"/\(name) && chmod 700 "$d"/\(name) || exit 125

            """
        // A script cut short in transfer (the controller or the connection died) must not run half of itself.
        script += AtomicReplacement.verification(of: step.program, in: "\"$d\"/\(name)", status: 125).joined(separator: "\n") + "\n"
        if let chdir = a.chdir { script += "cd \(ShellQuote.quote(chdir)) || exit 1\n" }
        script += "(\(run) </dev/null)\n"
        let result = try await host.run(script, stdin: step.program)
        var values = CommandOutput.values(result, stripEmptyEnds: false)
        if result.status != 0 {
            let message = result.status == 125 ? "could not upload the script: \(result.stderrText)" : "non-zero return code"
            values["msg"] = .string(message)
            throw ModuleFailure(message: message, values: values)
        }
        return .changed(values)
    }
}
