import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `modprobe` (community.general.modprobe): a kernel module is loaded or unloaded, and optionally
/// persisted (/etc/modules-load.d/NAME.conf, options in /etc/modprobe.d/NAME.conf) or un-persisted (its
/// lines commented out), deciding as Ansible does from /proc/modules, modules.builtin and those files,
/// all read in one round trip.
public struct ModprobeModule: Module {
    public static let name = "modprobe"
    public static let aliases = ["community.general.modprobe"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Load or unload kernel modules, and persist them",
        description: """
            A module counts as loaded when /proc/modules lists it (dashes read as underscores) or modules.builtin has it. \
            state=present runs `modprobe NAME PARAMS` (checked first with `modprobe -n`), absent `modprobe -r NAME`. \
            persistent=present writes NAME to /etc/modules-load.d/NAME.conf unless a file there already names it, and, \
            unless the `options NAME k=v` lines in /etc/modprobe.d are exactly `params`, comments those lines out and \
            writes /etc/modprobe.d/NAME.conf; persistent=absent comments out the module's lines in both directories.
            """,
        examples: """
            - community.general.modprobe:
                name: br_netfilter
                state: present
                persistent: present
            - modprobe: name=dummy params="numdummies=2" persistent=present
            """,
        deviations: ["Commenting lines out rewrites the file as Ansible does, joining its lines with an extra newline (a blank line after each)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The kernel module.") var name: String
        @Option("state", choices: LoadState.self, default: .present, help: "Whether the module is loaded now.") var state: LoadState
        @Option("params", .string, default: "", format: .singleLine, help: "Module parameters, e.g. `numdummies=2`.") var params: String
        @Option("persistent", choices: Persistence.self, default: .disabled, help: "present: load at boot with params; absent: no longer; disabled: leave the files alone.") var persistent: Persistence
        public init() {}
    }

    public enum LoadState: String, OptionChoice { case absent, present }
    public enum Persistence: String, OptionChoice { case disabled, present, absent }

    public struct State: Equatable, Sendable {
        var loaded: Bool
        /// Why the module can be checked at all: nil when /proc/modules is readable.
        var unreadable: String?
        /// What `modprobe -n NAME PARAMS` said when it failed (only asked when a load is due).
        var dryRunError: String?
        var loadFiles: OrderedDictionary<String, String> = [:]
        var optionFiles: OrderedDictionary<String, String> = [:]
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case load(name: String, params: String)
        case unload(name: String)
        case write(path: String, content: String)

        public var description: String {
            switch self {
            case .load(let name, let params): return "modprobe \(name)\(params.isEmpty ? "" : " " + params)"
            case .unload(let name): return "modprobe -r \(name)"
            case .write(let path, _): return "write \(path)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let name = ShellQuote.quote(a.name)
        let script = """
            if [ -r /proc/modules ]; then echo @@proc; cat /proc/modules; else echo "@@unreadable /proc/modules"; fi
            f=/lib/modules/$(uname -r)/modules.builtin
            if [ -r "$f" ]; then echo @@builtin; cat "$f"; fi
            for dir in /etc/modules-load.d /etc/modprobe.d; do
              for f in "$dir"/*; do [ -f "$f" ] && printf '@@file %s %s\\n' "$f" "$(base64 -w0 < "$f")"; done
            done
            if \(a.state == .present ? "true" : "false"); then
              command -v modprobe >/dev/null 2>&1 || { echo '@@dryrun modprobe: command not found'; exit 0; }
              if ! out=$(modprobe -n -- \(name) \(Self.words(a.params)) 2>&1); then printf '@@dryrun %s\\n' "$(printf '%s' "$out" | tr '\\n' ' ')"; fi
            fi
            true
            """
        let text = try await host.run(script).stdoutText
        var state = State(loaded: false)
        var section = ""
        let moduleName = a.name.replacingOccurrences(of: "-", with: "_") + " "
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@file ") {
                let parts = line.dropFirst(7).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                let path = String(parts[0])
                let content = parts.count > 1 ? Data(base64Encoded: String(parts[1])).map { String(decoding: $0, as: UTF8.self) } ?? "" : ""
                if path.hasPrefix("/etc/modules-load.d/") { state.loadFiles[path] = content } else { state.optionFiles[path] = content }
                continue
            }
            if line.hasPrefix("@@unreadable ") { state.unreadable = String(line.dropFirst(13)); continue }
            if line.hasPrefix("@@dryrun ") { state.dryRunError = String(line.dropFirst(9)); continue }
            if line.hasPrefix("@@") { section = String(line.dropFirst(2)); continue }
            if section == "proc", line.hasPrefix(moduleName) { state.loaded = true }
            if section == "builtin", line.trimmingCharacters(in: .whitespaces).hasSuffix("/" + a.name + ".ko") { state.loaded = true }
        }
        return state
    }

    /// The parameters as shell words (Ansible splits them with shlex), each quoted.
    static func words(_ params: String) -> String { ShellWords.split(params).map(ShellQuote.quote).joined(separator: " ") }

    /// Python's readlines: lines keep their "\n".
    static func lines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = ""
        for character in text.unicodeScalars {
            current.unicodeScalars.append(character)
            if character == "\n" { lines.append(current); current = "" }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }

    /// `^ *NAME *(?:[#;].*)?\n?\Z`: a modules-load.d line that loads the module.
    static func loadsModule(_ line: String, _ name: String) -> Bool {
        var rest = Substring(line.hasSuffix("\n") ? String(line.dropLast()) : line).drop(while: { $0 == " " })
        guard rest.hasPrefix(name) else { return false }
        rest = rest.dropFirst(name.count).drop(while: { $0 == " " })
        return !rest.contains("\n") && (rest.isEmpty || rest.first == "#" || rest.first == ";")
    }

    /// `^options NAME (\w+=\S+) *(?:[#;].*)?\n?\Z`: a modprobe.d line with one parameter of the module.
    static func optionParameter(_ line: String, _ name: String) -> String? {
        let body = line.hasSuffix("\n") ? String(line.dropLast()) : line
        guard !body.contains("\n"), body.hasPrefix("options \(name) ") else { return nil }
        let rest = body.dropFirst("options \(name) ".count)
        let parameter = rest.prefix(while: { !$0.isWhitespace })
        guard let equals = parameter.firstIndex(of: "="), equals != parameter.startIndex,
              parameter[..<equals].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
              parameter.index(after: equals) != parameter.endIndex else { return nil }
        let tail = rest.dropFirst(parameter.count).drop(while: { $0 == " " })
        guard tail.isEmpty || tail.first == "#" || tail.first == ";" else { return nil }
        return String(parameter)
    }

    /// Each file whose matching lines get a `#`, rewritten as Ansible does ('\n'.join of the lines).
    static func commentedOut(_ files: OrderedDictionary<String, String>, where matches: (String) -> Bool) -> [(String, String)] {
        files.compactMap { path, content in
            var lines = Self.lines(content)
            var changed = false
            for index in lines.indices where matches(lines[index]) { lines[index] = "#" + lines[index]; changed = true }
            return changed ? (path, lines.joined(separator: "\n")) : nil
        }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        if let unreadable = observed.unreadable {
            throw KeelError("\(host.name): modprobe: cannot read \(unreadable)", expected: "a kernel with loadable modules (/proc/modules)", found: "no \(unreadable)")
        }
        var steps: [Step] = []
        var diffs: [Diff] = []
        if a.state == .present && !observed.loaded {
            if let error = observed.dryRunError { throw KeelError("\(host.name): modprobe \(a.name): \(error)", expected: "a module modprobe can load", found: error) }
            steps.append(.load(name: a.name, params: a.params))
        } else if a.state == .absent && observed.loaded {
            steps.append(.unload(name: a.name))
        }
        let persistentlyLoaded = observed.loadFiles.values.contains { Self.lines($0).contains { Self.loadsModule($0, a.name) } }
        let permanentParameters = Set(observed.optionFiles.values.flatMap { Self.lines($0).compactMap { Self.optionParameter($0, a.name) } })
        let parametersSet = Set(a.params.split(whereSeparator: { $0.isWhitespace }).map(String.init)) == permanentParameters
        var writes: [(String, String)] = []
        if a.persistent == .present && !(persistentlyLoaded && parametersSet) {
            if !persistentlyLoaded { writes.append(("/etc/modules-load.d/\(a.name).conf", a.name + "\n")) }
            if !parametersSet {
                writes += Self.commentedOut(observed.optionFiles) { Self.optionParameter($0, a.name) != nil }
                let options = a.params.split(whereSeparator: { $0.isWhitespace }).map { "options \(a.name) \($0)" }
                writes.append(("/etc/modprobe.d/\(a.name).conf", options.joined(separator: "\n") + "\n"))
            }
        } else if a.persistent == .absent && (persistentlyLoaded || !permanentParameters.isEmpty) {
            writes += Self.commentedOut(observed.loadFiles) { Self.loadsModule($0, a.name) }
            writes += Self.commentedOut(observed.optionFiles) { Self.optionParameter($0, a.name) != nil }
        }
        // The options file may be both commented out and rewritten: only the last content is written.
        var merged: OrderedDictionary<String, String> = [:]
        for (path, content) in writes { merged[path] = content }
        for (path, content) in merged {
            steps.append(.write(path: path, content: content))
            diffs.append(Diff(label: path, before: observed.loadFiles[path] ?? observed.optionFiles[path] ?? "", after: content))
        }
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "params": .string(a.params), "state": .string(a.state.rawValue)]
        if steps.isEmpty { return .unchanged(values: values) }
        if a.state == .present && !observed.loaded { diffs.insert(Diff(label: "kernel module \(a.name)", before: "absent\n", after: "loaded\n"), at: 0) }
        if a.state == .absent && observed.loaded { diffs.insert(Diff(label: "kernel module \(a.name)", before: "loaded\n", after: "absent\n"), at: 0) }
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .load(let name, let params):
                let result = try await host.run("modprobe -- \(ShellQuote.quote(name)) \(Self.words(params))")
                if result.status != 0 {
                    throw ModuleFailure(message: result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines),
                                        values: ["rc": .int(Int(result.status)), "stdout": .string(result.stdoutText), "stderr": .string(result.stderrText)],
                                        changed: false)
                }
            case .unload(let name):
                try await host.runChecked("modprobe -r -- \(ShellQuote.quote(name))", failure: "cannot unload \(name)")
            case .write(let path, let content):
                _ = try await FileWrite(destination: path, content: Data(content.utf8), createParentDirectories: true).perform(on: host)
            }
        }
        return .changed()
    }
}
