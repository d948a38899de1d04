import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `copy`: a file on the host has exactly this content (inline `content`, or `src` from the controller's
/// files/), with the given attributes. Compared by SHA-256 in the same round trip that reads the
/// attributes; written through FileWrite (atomic, validated, optional backup).
public struct CopyModule: Module {
    public static let name = "copy"
    public static let spec = ArgumentSpec([
        OptionSpec("dest", .path, required: true, help: "Where the file goes; an existing directory (or a path ending in /) receives src's file name."),
        OptionSpec("src", .path, help: "File on the controller: relative paths are looked up in the role's files/ and the playbook's directory."),
        OptionSpec("content", .string, help: "The file's content, inline."),
        OptionSpec("remote_src", .bool, default: false, help: "src is a file on the host, not the controller."),
        OptionSpec("force", .bool, default: true, help: "Replace a file whose content differs; false only creates missing files."),
        OptionSpec("backup", .bool, default: false, help: "Keep a timestamped copy of the file being replaced."),
        OptionSpec("validate", .string, help: "Command run on the new file before it replaces the old one; %s is its path."),
    ] + FileAttributes.options,
        mutuallyExclusive: [["content", "src"]], requiredOneOf: [["content", "src"]])
    public static let documentation = ModuleDocumentation(
        summary: "Put a file with exactly this content on the host",
        description: "Compares by SHA-256 and attributes in one round trip; writes atomically (temporary file + rename) after `validate` passed; keeps the old file's owner and mode unless told otherwise.",
        examples: """
            - copy:
                content: "net.ipv4.ip_forward = 1\\n"
                dest: /etc/sysctl.d/60-forward.conf
                mode: "0644"
            - copy: src=sudoers.d/deploy dest=/etc/sudoers.d/deploy validate='visudo -cf %s' mode=0440
            """,
        deviations: ["Copying whole directories (src ending in /) is not supported yet.", "The `checksum` return value is SHA-256, not SHA-1."])

    public struct Arguments: Decodable, Sendable {
        var dest: String
        var src: String?
        var content: String?
        var remote_src: Bool
        var force: Bool
        var backup: Bool
        var validate: String?
        var mode: Value?
        var owner: String?
        var group: String?
    }

    public struct State: Equatable, Sendable {
        var path: String
        var current: RemotePath
        var desiredContent: Data
    }

    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let content = try await desiredContent(a, on: host)
        // Resolve "dest is a directory" on the host, then observe the final path, in one script.
        let baseName = (a.src as NSString?)?.lastPathComponent ?? ""
        let script = """
            d=\(ShellQuote.quote(a.dest))
            case "$d" in */) d="$d"\(ShellQuote.quote(baseName));; *) if [ -d "$d" ] && [ ! -L "$d" ] && [ -n \(ShellQuote.quote(baseName)) ]; then d="$d/"\(ShellQuote.quote(baseName)); fi;; esac
            echo "$d"
            """ + "\n" + RemotePath.observationScript(shellWord: "\"$d\"", checksum: true, contentLimit: ContentConvergence.diffLimit)
        let result = try await host.run(script)
        guard result.status == 0, let newline = result.stdout.firstIndex(of: 0x0A) else {
            throw KeelError("\(host.name): cannot inspect \(a.dest): \(result.stderrText)")
        }
        let path = String(decoding: result.stdout[result.stdout.startIndex..<newline], as: UTF8.self)
        return State(path: path, current: try RemotePath.parse(Data(result.stdout[(newline + 1)...])), desiredContent: content)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var convergence = ContentConvergence(path: observed.path, current: observed.current, desired: observed.desiredContent,
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        convergence.replaceExisting = a.force
        var values: OrderedDictionary<String, Value> = ["dest": .string(observed.path), "checksum": .string(convergence.desiredSHA256),
                                                        "size": .int(observed.desiredContent.count)]
        if let src = a.src { values["src"] = .string(src) }
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, _ a: Arguments, on host: HostContext) async throws -> OrderedDictionary<String, Value> {
        try await ContentConvergence.apply(plan, path: plan.values["dest"]?.stringValue ?? a.dest, on: host)
    }

    func desiredContent(_ a: Arguments, on host: HostContext) async throws -> Data {
        if let content = a.content { return Data(content.utf8) }
        guard let src = a.src else { throw KeelError("copy needs content or src") }
        if a.remote_src {
            return try await host.connection.download(src, become: host.become)
        }
        guard let path = host.files.find(src, kind: "files") else {
            throw KeelError("could not find src '\(src)'", expected: "a file in \(host.files.searchPaths.map { $0 + "/files" }.joined(separator: ", ")) or a path",
                            found: "nothing")
        }
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw KeelError("copying the directory \(path) is not supported yet: copy its files one by one, or use a loop")
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw KeelError("cannot read \(path)") }
        return data
    }
}
