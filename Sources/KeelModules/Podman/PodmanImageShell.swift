import Foundation
import KeelBase
import KeelTransport

/// The podman command lines the image, network, volume, pod and login modules run, and the JSON they read
/// back. Small on purpose: every podman invocation is one quoted argv, and every observation is one
/// `podman ... inspect` whose JSON is parsed here, so the modules hold only their own logic.
enum PodmanImageShell {
    /// `podman` with each argument quoted.
    static func command(_ arguments: [String], executable: String = "podman") -> String {
        ([executable] + arguments).map(ShellQuote.quote).joined(separator: " ")
    }

    /// Runs podman and throws, naming the host and `failure`, when it exits non-zero.
    @discardableResult
    static func run(_ arguments: [String], on host: HostContext, failure: String, executable: String = "podman",
                    stdin: Data? = nil) async throws -> CommandResult {
        try await host.runChecked(command(arguments, executable: executable), stdin: stdin, failure: failure, detail: .combined)
    }

    /// The inspect JSON of one object (`podman image inspect NAME`), or nil when podman says it does not
    /// exist. Any other failure (podman missing, storage broken) is an error, not "absent".
    static func inspect(_ kind: String, _ name: String, on host: HostContext, executable: String = "podman") async throws -> Value? {
        let script = """
            command -v \(ShellQuote.quote(executable)) >/dev/null 2>&1 || { echo "podman: command not found" >&2; exit 127; }
            if \(command([kind, "exists", name], executable: executable)); then \(command([kind, "inspect", name], executable: executable)); else echo '[]'; fi
            """
        let result = try await host.runChecked(script, failure: "cannot inspect \(kind) \(name)")
        return try firstObject(result.stdoutText, what: "\(kind) \(name)")
    }

    /// The first element of podman's JSON array output, nil for an empty array.
    static func firstObject(_ text: String, what: String) throws -> Value? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed: Value
        do { parsed = try Value.parseJSON(trimmed.isEmpty ? "[]" : trimmed) } catch {
            throw KeelError("cannot read podman's description of \(what): expected JSON, found \(trimmed.prefix(200))")
        }
        guard case .list(let items) = parsed else { return parsed.isNull ? nil : parsed }
        return items.first
    }

    /// A JSON value reached by a key path (`["Config", "Labels"]`), case-sensitive as podman writes it.
    static func field(_ value: Value?, _ path: String...) -> Value? {
        var current = value
        for key in path { current = current?[key] }
        if current?.isNull == true { return nil }
        return current
    }

    static func string(_ value: Value?, _ path: String...) -> String? {
        var current = value
        for key in path { current = current?[key] }
        return current?.stringValue
    }

    /// A JSON object of strings (labels, options) as a Swift dictionary.
    static func stringMap(_ value: Value?) -> [String: String] {
        guard let dict = value?.dictValue else { return [:] }
        var map: [String: String] = [:]
        for (key, item) in dict {
            switch item {
            case .string(let s): map[key] = s
            case .int(let i): map[key] = String(i)
            case .bool(let b): map[key] = b ? "true" : "false"
            default: continue
            }
        }
        return map
    }

    /// A user's `label:`/`opt:` mapping as strings (YAML may give numbers or booleans).
    static func userMap(_ value: Value?, option: String) throws -> [String: String]? {
        guard let value else { return nil }
        guard let dict = value.dictValue else {
            throw KeelError("\(option) must be a mapping of names to values, found \(value.jsonString())")
        }
        var map: [String: String] = [:]
        for (key, item) in dict {
            switch item {
            case .string(let s): map[key] = s
            case .int(let i): map[key] = String(i)
            case .double(let d): map[key] = Value.formatDouble(d)
            case .bool(let b): map[key] = b ? "true" : "false"
            case .null: map[key] = ""
            default: throw KeelError("\(option).\(key) must be a scalar, found \(item.jsonString())")
            }
        }
        return map
    }

    /// A mapping rendered for diffs: `k=v` pairs sorted by key.
    static func render(_ map: [String: String]) -> String {
        map.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
    }
}
