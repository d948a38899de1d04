import Foundation
import KeelBase
import KeelTransport

/// The settings in effect, as Ansible computes them: an ANSIBLE_* environment variable wins over the
/// ansible.cfg, which wins over the default; the command line's flags win over both (the CLI applies
/// this first and its flags after). Values are typed as Ansible types them, and every value keeps its
/// origin for `keel config dump`.
public struct AnsibleConfig: Sendable {
    public enum Value: Sendable, Equatable {
        case string(String)
        case boolean(Bool)
        case integer(Int)
        case list([String])

        /// As Python prints it, which is how ansible-config dump shows it.
        public var pythonText: String {
            switch self {
            case .string(let s): s
            case .boolean(let b): b ? "True" : "False"
            case .integer(let i): String(i)
            case .list(let items): "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]"
            }
        }
    }

    public struct Resolved: Sendable {
        public let value: Value
        /// "env: ANSIBLE_FORKS", or the ansible.cfg's path.
        public let origin: String
        /// The ansible.cfg line, when it came from there.
        public let line: Int?
    }

    public let file: IniFile?
    public private(set) var values: [String: Resolved] = [:]
    /// "[section]key" of every setting in the file Keel does not read, in file order.
    public private(set) var ignored: [String] = []
    /// Settings read but without effect in Keel, "[section]key" (or the variable's name), in order.
    public private(set) var withoutEffect: [String] = []
    public private(set) var warnings: [String] = []

    /// Finds and reads the ansible.cfg (see AnsibleConfigFile) and the environment.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment,
                            currentDirectory: String = FileManager.default.currentDirectoryPath) throws -> AnsibleConfig {
        let (path, warning) = AnsibleConfigFile.locate(environment: environment, currentDirectory: currentDirectory)
        var file: IniFile?
        if let path {
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw KeelError("cannot read \(path)", at: SourceLocation(file: path, line: 1, column: 1),
                                expected: "a readable UTF-8 ansible.cfg", found: "unreadable or not UTF-8")
            }
            file = try IniFile(text: text, path: path)
        }
        var config = try AnsibleConfig(file: file, environment: environment, currentDirectory: currentDirectory)
        if let warning { config.warnings.insert(warning, at: 0) }
        return config
    }

    public init(file: IniFile?, environment: [String: String], currentDirectory: String) throws {
        self.file = file
        let fileDirectory = file.map { ($0.path as NSString).deletingLastPathComponent } ?? currentDirectory
        var known: Set<String> = []
        for setting in AnsibleSetting.all {
            var found: (text: String, origin: String, line: Int?, base: String, fromFile: Bool)?
            if let file {
                for place in setting.ini {
                    known.insert("[\(place.section)]\(place.key)")
                    if let entry = file.rawEntry(place.section, place.key) {
                        found = (entry.value, file.path, entry.line, fileDirectory, true)
                    }
                }
            }
            for name in setting.environment {
                if let text = environment[name] { found = (text, "env: \(name)", nil, currentDirectory, false) }
            }
            guard let found else { continue }
            let value = try AnsibleConfig.typed(found.text, setting, fromFile: found.fromFile, base: found.base, environment: environment,
                                                location: found.line.map { SourceLocation(file: found.origin, line: $0, column: 1) })
            values[setting.name] = Resolved(value: value, origin: found.origin, line: found.line)
            if setting.hasNoEffect { withoutEffect.append(setting.name) }
        }
        if let file {
            for (section, key, _) in file.allKeys where !known.contains("[\(section)]\(key)") && section != "DEFAULT" {
                ignored.append("[\(section)]\(key)")
            }
        }
        if !ignored.isEmpty { warnings.append("ignored ansible.cfg settings: " + ignored.joined(separator: ", ")) }
        let ignoredSSH = SSHArguments.ignoredOptions([string("ssh_args"), string("ssh_common_args"), string("ssh_extra_args")])
        if !ignoredSSH.isEmpty { warnings.append("ignored ssh options from ssh_args/ssh_common_args/ssh_extra_args: " + ignoredSSH.joined(separator: ", ")) }
        if let callback = string("DEFAULT_STDOUT_CALLBACK"), AnsibleConfig.output(forCallback: callback) == nil {
            warnings.append("ignored stdout_callback '\(callback)': Keel's outputs are human, json and github")
        }
    }

    /// Text as base.yml's type reads it: ini strings lose one pair of surrounding quotes (Ansible's unquote).
    static func typed(_ raw: String, _ setting: AnsibleSetting, fromFile: Bool, base: String, environment: [String: String],
                      location: SourceLocation?) throws -> Value {
        let text = fromFile ? unquote(raw) : raw
        func path(_ p: String) -> String { AnsiblePath.resolve(p, relativeTo: base, environment: environment) }
        switch setting.kind {
        case .string: return .string(text)
        case .path: return .string(path(text))
        case .boolean:
            switch text.lowercased() {
            case "y", "yes", "on", "1", "true", "t", "1.0": return .boolean(true)
            case "n", "no", "off", "0", "false", "f", "0.0", "": return .boolean(false)
            default:
                throw KeelError("\(setting.name) is not a boolean", at: location, expected: "yes, no, true, false, on, off, 1 or 0", found: "'\(raw)'")
            }
        case .integer:
            guard let number = Int(text.trimmingCharacters(in: .whitespaces)) else {
                throw KeelError("\(setting.name) is not an integer", at: location, expected: "a whole number", found: "'\(raw)'")
            }
            return .integer(number)
        case .list:
            return .list(text.split(separator: ",").map { unquote($0.trimmingCharacters(in: .whitespaces)) }.filter { !$0.isEmpty })
        case .pathList:
            return .list(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.map(path))
        case .pathSpec:
            return .list(text.split(separator: ":").map(String.init).filter { !$0.isEmpty }.map(path))
        }
    }

    /// One pair of matching surrounding quotes removed (ansible.parsing.quoting.unquote).
    static func unquote(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == "\"" || first == "'", text.last == first else { return text }
        return String(text.dropFirst().dropLast())
    }

    // MARK: typed access

    public func string(_ name: String) -> String? {
        if case .string(let s)? = values[name]?.value { return s }
        return nil
    }
    public func bool(_ name: String) -> Bool? {
        if case .boolean(let b)? = values[name]?.value { return b }
        return nil
    }
    public func int(_ name: String) -> Int? {
        if case .integer(let i)? = values[name]?.value { return i }
        return nil
    }
    public func list(_ name: String) -> [String]? {
        if case .list(let l)? = values[name]?.value { return l }
        return nil
    }
    /// Whether the value came from the ansible.cfg (not from an environment variable).
    public func fromFile(_ name: String) -> Bool { values[name]?.line != nil }

    /// Keel's --output for an Ansible stdout callback name, nil when there is none that fits.
    public static func output(forCallback name: String) -> String? {
        let short = name.split(separator: ".").last.map(String.init) ?? name
        switch short {
        case "default", "yaml", "minimal", "oneline", "dense", "unixy", "debug", "dense_yaml", "skippy", "actionable", "counter_enabled": return "human"
        case "json", "jsonl", "ndjson": return "json"
        case "github", "github_actions": return "github"
        default: return nil
        }
    }

    /// `keel config dump`: like `ansible-config dump --only-changed`, NAME(origin) = value sorted by
    /// name, then the ssh connection options under "ssh:", then what Keel ignores.
    public var dump: String {
        var lines: [String] = []
        var base: [(String, String)] = values.filter { !(AnsibleSetting.named($0.key)?.isSSHPluginOption ?? false) }
            .map { ($0.key, "\($0.key)(\($0.value.origin)) = \($0.value.value.pythonText)") }
        if let file { base.append(("CONFIG_FILE", "CONFIG_FILE() = \(file.path)")) }
        lines += base.sorted { $0.0 < $1.0 }.map { $0.1 }
        let ssh = values.filter { AnsibleSetting.named($0.key)?.isSSHPluginOption ?? false }.sorted { $0.key < $1.key }
        if !ssh.isEmpty {
            lines += ["", "ssh:", "___"]
            lines += ssh.map { "\($0.key)(\($0.value.origin)) = \($0.value.value.pythonText)" + (withoutEffect.contains($0.key) ? "  # no effect in Keel" : "") }
        }
        for warning in warnings { lines += ["", "# " + warning] }
        return lines.joined(separator: "\n") + "\n"
    }
}
