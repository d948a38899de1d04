import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `pip` (ansible.builtin.pip): Python packages are installed, upgraded or removed with the host's pip,
/// optionally in a virtualenv it creates. What is installed is read once (`pip list --format=freeze`, and
/// `pip list --outdated` for state=latest), so check mode predicts present, absent and latest exactly.
public struct PipModule: Module {
    public static let name = "pip"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["name", "requirements"], ["executable", "virtualenv"]],
                                          requiredOneOf: [["name", "requirements"]])
    public static let documentation = ModuleDocumentation(
        summary: "Manage Python packages with pip",
        description: """
            Runs pip on the host: `pip install` (present), `install -U` (latest), `install -U --force-reinstall` \
            (forcereinstall), `uninstall -y` (absent), for `name` (with version specifiers; `version` for a single \
            name) or a `requirements` file. With `virtualenv`, creates it first with virtualenv_command (e.g. \
            `python3 -m venv`) when its bin/activate is missing, and uses its pip. Without, uses `executable`, else \
            `python3 -m pip`, else pip3.
            """,
        examples: """
            - pip:
                name: [flask==3.0.3, gunicorn]
                virtualenv: /srv/app/venv
                virtualenv_command: python3 -m venv
            - pip: requirements=/srv/app/requirements.txt virtualenv=/srv/app/venv
            - pip: name=httpie state=absent
            """,
        deviations: ["Check mode predicts present, absent and latest from what pip lists, also with extra_args (Ansible reports extra_args and latest as changed); requirements files, forcereinstall, editable installs and URLs are predicted as changed, as in Ansible.",
                     "A plain name that is already installed is not passed to pip again (Ansible runs `pip install` and reads that nothing was installed)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .list(.string), help: "Packages, with optional version specifiers (`flask>=3,<4`), or URLs.") var name: [String]?
        @Option("version", .string, help: "The version of the single package in name (`1.2` means ==1.2).") var version: String?
        @Option("requirements", .string, help: "A requirements file on the host (relative to chdir).") var requirements: String?
        @Option("virtualenv", .path, help: "A virtualenv to install into; created when missing.") var virtualenv: String?
        @Option("virtualenv_site_packages", .bool, default: false, help: "Give a new virtualenv access to the system's packages.") var virtualenv_site_packages: Bool
        @Option("virtualenv_command", .string, default: "virtualenv", help: "The command creating the virtualenv, e.g. `python3 -m venv`.") var virtualenv_command: String
        @Option("virtualenv_python", .string, help: "The Python of a new virtualenv (`-p`; not with venv).") var virtualenv_python: String?
        @Option("extra_args", .string, help: "More pip arguments, e.g. `--no-index --find-links /srv/wheels`.") var extra_args: String?
        @Option("editable", .bool, default: false, help: "Install in editable mode (`-e`).") var editable: Bool
        @Option("chdir", .path, help: "Run pip in this directory.") var chdir: String?
        @Option("executable", .path, help: "The pip to run (a path, or a name such as pip3.11).") var executable: String?
        @Option("umask", .string, help: "The umask pip runs with, in octal (e.g. 0022).") var umask: String?
        @Option("break_system_packages", .bool, default: false, help: "Allow pip to change the system's Python (PIP_BREAK_SYSTEM_PACKAGES=1).") var break_system_packages: Bool
        @Option("state", choices: PipState.self, default: .present, help: "present, latest, forcereinstall or absent.") var state: PipState
        public init() {}
    }

    public enum PipState: String, OptionChoice { case present, absent, latest, forcereinstall }

    public struct State: Equatable, Sendable {
        var venvExists: Bool
        /// canonical name -> installed version; nil when pip could not be run (no virtualenv yet).
        var installed: [String: String]?
        /// canonical names pip says have a newer version (state=latest only).
        var outdated: Set<String>?
        var pip: [String]
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        enum Action: String, Codable, Sendable { case createVenv, pip }
        var action: Action
        var command: [String]
        var chdir: String
        var environment: [String: String]
        var umask: String?
        /// pip's output decides whether it changed anything (requirements, latest, URLs).
        var compareFreeze: Bool
        var pip: [String]
        public var description: String { command.joined(separator: " ") }
    }

    public init() {}

    func venv(_ a: Arguments) -> String? {
        guard let env = a.virtualenv else { return nil }
        if let chdir = a.chdir, !env.hasPrefix("/") { return (chdir as NSString).appendingPathComponent(env) }
        return env
    }

    func requirements(_ a: Arguments) throws -> [PythonRequirement] {
        let names = PythonRequirement.recover(a.name ?? [])
        var list = names.filter { !$0.isEmpty }.map { PythonRequirement($0) }
        if let version = a.version {
            guard list.count == 1 else {
                throw KeelError("'version' argument is ambiguous when installing multiple package distributions. Please specify version restrictions next to each package in 'name' argument.")
            }
            guard !list[0].hasVersionSpecifier else {
                throw KeelError("The 'version' argument conflicts with any version specifier provided along with a package name. Please keep the version specifier, but remove the 'version' argument.")
            }
            list[0] = PythonRequirement(list[0].written, version: version)
        }
        return list
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.state == .latest && a.version != nil { throw KeelError("version is incompatible with state=latest") }
        let env = venv(a)
        let chdir = ShellQuote.quote(a.chdir ?? "/tmp")
        // The pip to run, as Ansible picks it.
        var pipChoice: String
        if let executable = a.executable {
            pipChoice = executable.hasPrefix("/") ? "p=\(ShellQuote.quote(executable))" : "p=$(command -v \(ShellQuote.quote(executable)))"
        } else if let env {
            let bin = ShellQuote.quote(env + "/bin")
            pipChoice = "if [ -x \(bin)/pip3 ]; then p=\(bin)/pip3; elif [ -x \(bin)/pip ]; then p=\(bin)/pip; else p=; fi"
        } else {
            pipChoice = "if python3 -c 'import pip' >/dev/null 2>&1; then p='python3 -m pip'; else p=$(command -v pip3); fi"
        }
        // The index options of extra_args (--no-index, --find-links, --index-url) also tell `list --outdated` where to look.
        let extra = (a.extra_args.map(ShellWords.split) ?? []).map(ShellQuote.quote).joined(separator: " ")
        let outdated = a.state == .latest ? "echo @@outdated; $p list --outdated --format=json \(extra) 2>/dev/null || echo FAILED" : ""
        let script = """
            export LANG=C LC_ALL=C LC_MESSAGES=C PIP_DISABLE_PIP_VERSION_CHECK=1
            \(env.map { "[ -e \(ShellQuote.quote($0 + "/bin/activate")) ] && echo @@venv" } ?? "")
            \(pipChoice)
            echo "@@pip $p"
            if [ -n "$p" ]; then
              cd \(chdir) 2>/dev/null || cd /
              echo @@freeze
              $p list --format=freeze 2>/dev/null || $p freeze 2>/dev/null || echo FAILED
              \(outdated)
            fi
            true
            """
        let text = try await host.run(script).stdoutText
        var state = State(venvExists: false, installed: nil, outdated: nil, pip: [])
        var section = ""
        var freeze: [String] = []
        var outdatedJSON = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "@@venv" { state.venvExists = true; continue }
            if line.hasPrefix("@@pip") { state.pip = line.dropFirst(6).split(separator: " ").map(String.init); continue }
            if line.hasPrefix("@@") { section = String(line.dropFirst(2)); continue }
            if section == "freeze" { freeze.append(String(line)) }
            if section == "outdated" { outdatedJSON += line + "\n" }
        }
        let envMissing = env != nil && !state.venvExists
        if state.pip.isEmpty && !envMissing {
            throw KeelError("\(host.name): pip: Unable to find pip", expected: env == nil ? "pip3 (or python3 -m pip) on the host" : "pip in the virtualenv \(env!)",
                            found: "none")
        }
        if !state.pip.isEmpty, !freeze.contains("FAILED") {
            var installed: [String: String] = [:]
            for line in freeze {
                let parts = line.components(separatedBy: "==")
                guard parts.count == 2 else { continue }
                installed[PythonRequirement.canonical(parts[0])] = parts[1]
            }
            state.installed = installed
        }
        if a.state == .latest, !outdatedJSON.contains("FAILED"), case .list(let items)? = try? Value.parseJSON(outdatedJSON) {
            state.outdated = Set(items.compactMap { $0["name"]?.stringValue.map(PythonRequirement.canonical) })
        }
        return state
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let packages = try requirements(a)
        let env = venv(a)
        let chdir = a.chdir ?? "/tmp"
        var environment: [String: String] = [:]
        if a.break_system_packages { environment["PIP_BREAK_SYSTEM_PACKAGES"] = "1" }
        if let umask = a.umask, Int(umask, radix: 8) == nil { throw KeelError("umask must be an octal integer", expected: "e.g. 0022", found: umask) }
        var steps: [Step] = []
        var pip = observed.pip
        if let env, !observed.venvExists {
            var command = ShellWords.split(a.virtualenv_command)
            if a.virtualenv_site_packages { command.append("--system-site-packages") }
            let isVenv = command.contains("venv") || command.first.map { ($0 as NSString).lastPathComponent == "pyvenv" } == true
            if !isVenv {
                command.append("-p" + (a.virtualenv_python ?? "python3"))
            } else if a.virtualenv_python != nil {
                throw KeelError("virtualenv_python should not be used when using the venv module or pyvenv as virtualenv_command")
            }
            command.append(env)
            steps.append(Step(action: .createVenv, command: command, chdir: chdir, environment: [:], umask: a.umask, compareFreeze: false, pip: []))
            pip = [env + "/bin/pip"]
        }
        var extra = a.extra_args.map(ShellWords.split) ?? []
        if a.editable && !extra.contains("-e") { extra.append("-e") }
        let verb: [String] = switch a.state {
        case .present: ["install"]
        case .absent: ["uninstall", "-y"]
        case .latest: ["install", "-U"]
        case .forcereinstall: ["install", "-U", "--force-reinstall"]
        }
        // Which packages need pip, decided from what is installed; nil when it cannot be told.
        var due: [PythonRequirement]? = packages
        let predictable = a.requirements == nil && !a.editable && a.state != .forcereinstall
            && packages.allSatisfy { $0.projectName != nil } && observed.installed != nil
        if predictable, let installed = observed.installed {
            due = packages.filter { requirement in
                let version = installed[requirement.projectName!]
                let present = version.map { requirement.isSatisfied(by: $0) } ?? false
                switch a.state {
                case .present: return !present
                case .absent: return version != nil && (requirement.hasVersionSpecifier ? present : true)
                case .latest: return version == nil || !present || observed.outdated?.contains(requirement.projectName!) != false
                case .forcereinstall: return true
                }
            }
        }
        let values: OrderedDictionary<String, Value> = [
            "name": a.name.map { .list($0.map(Value.string)) } ?? .null, "version": a.version.map(Value.string) ?? .null,
            "state": .string(a.state.rawValue), "requirements": a.requirements.map(Value.string) ?? .null,
            "virtualenv": env.map(Value.string) ?? .null]
        if let due, due.isEmpty, steps.isEmpty { return .unchanged(values: values) }
        var command = pip + verb + extra
        if a.name != nil { command += (due ?? packages).map(\.written) } else if let requirements = a.requirements { command += ["-r", requirements] }
        steps.append(Step(action: .pip, command: command, chdir: chdir, environment: environment, umask: a.umask,
                          compareFreeze: !predictable || a.state == .latest, pip: pip))
        let label = env.map { "pip (\($0))" } ?? "pip"
        let before = packages.map { p in "\(p.projectName ?? p.written): \(p.projectName.flatMap { observed.installed?[$0] } ?? "absent")" }
        let after = packages.map { p in "\(p.projectName ?? p.written): \(a.state == .absent ? "absent" : a.state == .present && !(due ?? packages).contains(p) ? (p.projectName.flatMap { observed.installed?[$0] } ?? "") : "installed (\(p.written))")" }
        return Plan(steps: steps, diffs: [Diff(label: label, before: before.joined(separator: "\n") + "\n", after: after.joined(separator: "\n") + "\n")],
                    values: values.merging(["cmd": .string(command.joined(separator: " "))]) { $1 })
    }

    static func shell(_ step: Step, _ command: [String]) -> String {
        var lines = ["export LANG=C LC_ALL=C LC_MESSAGES=C PIP_DISABLE_PIP_VERSION_CHECK=1"]
        for (key, value) in step.environment.sorted(by: { $0.key < $1.key }) { lines.append("export \(key)=\(ShellQuote.quote(value))") }
        if let umask = step.umask { lines.append("umask \(ShellQuote.quote(umask))") }
        lines.append("cd \(ShellQuote.quote(step.chdir))")
        lines.append(command.map(ShellQuote.quote).joined(separator: " "))
        return lines.joined(separator: "\n")
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var changed = false
        var stdout = "", stderr = ""
        for step in plan.steps {
            let freeze = Step(action: .pip, command: step.pip + ["list", "--format=freeze"], chdir: step.chdir, environment: [:], umask: nil, compareFreeze: false, pip: [])
            let before = step.compareFreeze ? try await host.run(Self.shell(freeze, freeze.command)).stdoutText : ""
            let result = try await host.run(Self.shell(step, step.command))
            stdout += result.stdoutText
            stderr += result.stderrText
            let absentAlready = step.command.contains("uninstall") && result.status == 1
                && (result.stdoutText.contains("not installed") || result.stderrText.contains("not installed"))
            if result.status != 0 && !absentAlready {
                var message = result.stdoutText.isEmpty ? "" : "stdout: \(result.stdoutText)"
                if !result.stderrText.isEmpty { message += "\n:stderr: \(result.stderrText)" }
                throw ModuleFailure(message: message, values: ["cmd": .string(step.description), "stdout": .string(stdout), "stderr": .string(stderr)],
                                    changed: changed)
            }
            switch step.action {
            case .createVenv: changed = true
            case .pip:
                if step.compareFreeze {
                    changed = try await host.run(Self.shell(freeze, freeze.command)).stdoutText != before || changed
                } else if step.command.contains("uninstall") {
                    changed = result.stdoutText.contains("Successfully uninstalled") || changed
                } else {
                    changed = result.stdoutText.contains("Successfully installed") || changed
                }
            }
        }
        let values: OrderedDictionary<String, Value> = ["stdout": .string(stdout), "stderr": .string(stderr)]
        return changed ? .changed(values) : .unchanged(values)
    }
}
