import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `command` and `shell`: run something on the host. `command` passes its words to the program without
/// a shell (no pipes, globs or variables, as in Ansible); `shell` runs the text with /bin/sh.
/// `creates`/`removes` make them idempotent: the command is skipped when the path already exists (or is
/// already gone). In check mode the command never runs; the task is predicted changed unless a
/// creates/removes guard says it would be skipped, so the prediction matches what a real run reports.
public struct CommandModule: DetachableModule {
    public static let name = "command"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = commandSpec(shell: false)
    public static let documentation = ModuleDocumentation(
        summary: "Run a command without a shell",
        description: "Runs the program with its arguments, without a shell, so `|`, `>`, `*` and `$VAR` are passed literally. Reports changed whenever it runs; use creates/removes (or changed_when) to make it idempotent.",
        examples: """
            - command: /usr/sbin/make-ssl-cert generate-default-snakeoil creates=/etc/ssl/certs/ssl-cert-snakeoil.pem
            - command:
                argv: [/usr/bin/git, -C, /srv/app, rev-parse, HEAD]
              register: head
              changed_when: false
            """,
        deviations: ["In check mode a command that would run is reported as changed (Ansible reports it skipped), so --check predicts exactly what a real run changes. What it registers is Ansible's (skipped, 'Command would have run if not in check mode', rc 0, empty output), except that `changed` is true."])

    /// Shared by command and shell; the help of `argv` and `executable` differs (see `commandSpec`).
    public struct Arguments: ModuleArguments {
        /// Free-form text after the module name.
        var _raw_params: String? = nil
        @Option("cmd", .string, help: "The command line (instead of the free-form text).") var cmd: String?
        @Option("argv", .list(.string), help: "The program and its arguments as a list.") var argv: [String]?
        @Option("creates", .path, help: "Skip when this path exists.") var creates: String?
        @Option("removes", .path, help: "Skip unless this path exists.") var removes: String?
        @Option("chdir", .path, help: "Change into this directory first.") var chdir: String?
        @Option("stdin", .string, help: "Text to feed on standard input.") var stdin: String?
        @Option("stdin_add_newline", .bool, default: true, help: "Add a newline after stdin.") var stdin_add_newline: Bool
        @Option("strip_empty_ends", .bool, default: true, help: "Strip trailing newlines from stdout and stderr in the result.") var strip_empty_ends: Bool
        @Option("executable", .path, help: "Not used by command.") var executable: String?
        @Option("expand_argument_vars", .bool, default: true,
                help: "command: expand $VAR, ${VAR} (left as written when unset) and a leading ~ in each word, as Ansible does; not used by shell.")
        var expand_argument_vars: Bool

        public init() {}
    }

    public enum State: Equatable, Sendable { case mustRun, skip(CommandGuard) }
    /// The script to run with what it reads on stdin and how its output is reported.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var script: String
        var stdin: String?
        var stripEmptyEnds = true

        public var description: String { "run: \(script)" }
    }

    public init() {}

    static func commandSpec(shell: Bool) -> ArgumentSpec {
        var spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["_raw_params", "cmd", "argv"]], acceptsFreeForm: true)
        if shell {
            // The one difference between the two modules' options: what argv and executable mean.
            spec.options = spec.options.map { option in
                var option = option
                if option.name == "argv" { option.help = "Not used by shell." }
                if option.name == "executable" { option.help = "The shell to use (default /bin/sh)." }
                return option
            }
        }
        return spec
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try await CommandModule.observeGuards(a, on: host)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        try CommandModule.plan(a, observed: observed, shell: false)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await CommandModule.execute(plan.steps[0], on: host)
    }

    public func detachedScript(_ plan: Plan<Step>) -> DetachedScript { CommandModule.detachedScript(plan) }

    public func result(of plan: Plan<Step>, output: DetachedOutput) throws -> Applied {
        try CommandModule.outcome(of: plan.steps[0], output: output)
    }

    // Shared with ShellModule.

    static func observeGuards(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.creates != nil || a.removes != nil else { return .mustRun }
        let answer = try await host.run(guardScript(chdir: a.chdir, creates: a.creates, removes: a.removes))
            .stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        switch answer {
        case "creates": return .skip(.creates(a.creates!))
        case "removes": return .skip(.removes(a.removes!))
        default: return .mustRun
        }
    }

    /// The read behind creates/removes (also the script module's): it prints `creates`, `removes` or `run`
    /// with builtins only (cd, a `for` over the shell's own glob, test, echo), declared so as a
    /// BuiltinTextRead, which lets a chain compare its answer in the shell instead of with a sha256sum.
    static func guardScript(chdir: String?, creates: String?, removes: String?) -> String {
        var script = ""
        if let chdir { script += "cd \(ShellQuote.quote(chdir)) 2>/dev/null; " }
        if let creates { script += "for f in \(globbable(creates)); do [ -e \"$f\" ] && { echo creates; exit 0; }; done; " }
        if let removes { script += "found=; for f in \(globbable(removes)); do [ -e \"$f\" ] && found=1; done; [ -z \"$found\" ] && { echo removes; exit 0; }; " }
        return BuiltinTextRead.script(script + "echo run")
    }

    /// creates/removes accept globs, as in Ansible: quote everything but the glob characters.
    static func globbable(_ path: String) -> String {
        guard path.contains(where: { "*?[".contains($0) }) else { return ShellQuote.quote(path) }
        return path.map { "*?[]".contains($0) ? String($0) : ShellQuote.quote(String($0)) }.joined()
    }

    static func plan(_ a: Arguments, observed: State, shell: Bool) throws -> Plan<Step> {
        let commandLine: String
        let expand = a.expand_argument_vars
        let word = { (text: String) -> String in expand ? ArgumentExpansion.shellWord(text) : ShellQuote.quote(text) }
        if let argv = a.argv, !argv.isEmpty {
            commandLine = argv.map(word).joined(separator: " ")
        } else if let text = a._raw_params ?? a.cmd, !text.trimmingCharacters(in: .whitespaces).isEmpty {
            commandLine = shell ? text : ShellWords.split(text).map(word).joined(separator: " ")
        } else {
            throw KeelError("no command given: write it after the module name, or use cmd: or argv:")
        }
        var values: OrderedDictionary<String, Value> = ["cmd": .string(a.argv.map { $0.joined(separator: " ") } ?? a._raw_params ?? a.cmd ?? "")]
        if case .skip(let reason) = observed {
            var plan = Plan<Step>.unchanged(values: values.merging(reason.commandResult(checkMode: false)) { $1 })
            plan.checkModeValues = reason.commandResult(checkMode: true)
            return plan
        }
        var script = ""
        if let chdir = a.chdir { script += "cd \(ShellQuote.quote(chdir)) || exit 1\n" }
        if shell, let executable = a.executable {
            script += "exec \(ShellQuote.quote(executable)) -c \(ShellQuote.quote(commandLine))"
        } else {
            script += commandLine
        }
        let input = a.stdin.map { $0 + (a.stdin_add_newline ? "\n" : "") }
        var plan = Plan(steps: [Step(script: script, stdin: input, stripEmptyEnds: a.strip_empty_ends)], values: values)
        plan.checkModeValues = CommandGuard.wouldRun(guarded: a.creates != nil || a.removes != nil)
        return plan
    }

    static func execute(_ step: Step, on host: HostContext) async throws -> Applied {
        let start = Date()
        let result = try await host.run(step.script, stdin: step.stdin.map { Data($0.utf8) })
        return try outcome(of: step, output: DetachedOutput(status: result.status, stdout: result.stdout, stderr: result.stderr,
                                                            start: start, end: Date()))
    }

    /// The one script the plan runs, for `async` (the engine runs it detached on the host).
    static func detachedScript(_ plan: Plan<Step>) -> DetachedScript {
        DetachedScript(script: plan.steps[0].script, stdin: plan.steps[0].stdin)
    }

    /// The result of a run, here or detached: rc, output (and its lines), start, end, delta.
    static func outcome(of step: Step, output: DetachedOutput) throws -> Applied {
        let (start, end) = (output.start, output.end)
        let result = (status: output.status, stdoutText: String(decoding: output.stdout, as: UTF8.self),
                      stderrText: String(decoding: output.stderr, as: UTF8.self))
        func clean(_ text: String) -> String {
            guard step.stripEmptyEnds else { return text }
            var t = text
            while let last = t.unicodeScalars.last, last == "\n" || last == "\r" { t.unicodeScalars.removeLast() }
            return t
        }
        let stdout = clean(result.stdoutText), stderr = clean(result.stderrText)
        var values: OrderedDictionary<String, Value> = [
            "rc": .int(Int(result.status)),
            "stdout": .string(stdout), "stderr": .string(stderr),
            "stdout_lines": .list(stdout.split(separator: "\n", omittingEmptySubsequences: false).map { .string(String($0)) }),
            "stderr_lines": .list(stderr.split(separator: "\n", omittingEmptySubsequences: false).map { .string(String($0)) }),
            "start": .string(timestamp(start)), "end": .string(timestamp(end)),
            "delta": .string(String(format: "0:00:%09.6f", end.timeIntervalSince(start))),
        ]
        if stdout.isEmpty { values["stdout_lines"] = .list([]) }
        if stderr.isEmpty { values["stderr_lines"] = .list([]) }
        // Ansible's command results always carry msg, empty when the command succeeded.
        values["msg"] = ""
        if result.status != 0 {
            values["msg"] = "non-zero return code"
            throw ModuleFailure(message: "non-zero return code", values: values)
        }
        return .changed(values)
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }
}

/// `shell`: like command, through /bin/sh (pipes, redirections, variables, globs work).
public struct ShellModule: DetachableModule {
    public static let name = "shell"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = CommandModule.commandSpec(shell: true)
    public static let documentation = ModuleDocumentation(
        summary: "Run a command line through the shell",
        description: "Runs the text with /bin/sh (or `executable`), so pipes, redirections and variables work. Reports changed whenever it runs; use creates/removes or changed_when.",
        examples: """
            - shell: ls /etc/*.conf | wc -l
              register: count
              changed_when: false
            """,
        deviations: CommandModule.documentation.deviations)

    public typealias Arguments = CommandModule.Arguments
    public typealias State = CommandModule.State
    public typealias Step = CommandModule.Step

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try await CommandModule.observeGuards(a, on: host)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        try CommandModule.plan(a, observed: observed, shell: true)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await CommandModule.execute(plan.steps[0], on: host)
    }

    public func detachedScript(_ plan: Plan<Step>) -> DetachedScript { CommandModule.detachedScript(plan) }

    public func result(of plan: Plan<Step>, output: DetachedOutput) throws -> Applied {
        try CommandModule.outcome(of: plan.steps[0], output: output)
    }
}
