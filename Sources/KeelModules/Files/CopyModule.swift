import Crypto
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

    public enum Step: Sendable { case write(FileWrite), attribute(AttributeChange) }

    static let diffLimit = 64 * 1024

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let content = try await desiredContent(a, on: host)
        // Resolve "dest is a directory" on the host, then observe the final path, in one script.
        let baseName = (a.src as NSString?)?.lastPathComponent ?? ""
        let script = """
            d=\(ShellQuote.quote(a.dest))
            case "$d" in */) d="$d"\(ShellQuote.quote(baseName));; *) if [ -d "$d" ] && [ ! -L "$d" ] && [ -n \(ShellQuote.quote(baseName)) ]; then d="$d/"\(ShellQuote.quote(baseName)); fi;; esac
            echo "$d"
            """ + "\n" + RemotePath.observationScript(shellWord: "\"$d\"", checksum: true, contentLimit: CopyModule.diffLimit)
        let result = try await host.run(script)
        guard result.status == 0, let newline = result.stdout.firstIndex(of: 0x0A) else {
            throw KeelError("\(host.name): cannot inspect \(a.dest): \(result.stderrText)")
        }
        let path = String(decoding: result.stdout[result.stdout.startIndex..<newline], as: UTF8.self)
        return State(path: path, current: try RemotePath.parse(Data(result.stdout[(newline + 1)...])), desiredContent: content)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let current = observed.current
        if current.kind == .directory { throw KeelError("\(observed.path) is a directory") }
        let wanted = SHA256.hash(data: observed.desiredContent).map { String(format: "%02x", $0) }.joined()
        let exists = current.kind != .absent
        let contentDiffers = !exists || (a.force && current.sha256 != wanted)
        var values: OrderedDictionary<String, Value> = ["dest": .string(observed.path), "checksum": .string(wanted),
                                                        "size": .int(observed.desiredContent.count)]
        if let src = a.src { values["src"] = .string(src) }
        let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
        var steps: [Step] = []
        var diffs: [Diff] = []
        if contentDiffers {
            // Attributes go onto the temporary file, so the file appears complete in one rename.
            let changes = attributes.changes(for: RemotePath(kind: .absent))
            steps.append(.write(FileWrite(destination: observed.path, content: observed.desiredContent, attributes: changes,
                                          validate: a.validate, backup: a.backup)))
            diffs.append(Diff(label: observed.path, before: exists ? CopyModule.text(current.content, size: current.size) : "",
                              after: CopyModule.text(observed.desiredContent, size: observed.desiredContent.count)))
        } else {
            let changes = attributes.changes(for: current)
            steps += changes.map(Step.attribute)
            if !changes.isEmpty {
                diffs.append(Diff(label: observed.path, before: "mode: \(RemotePath.octal(current.mode))\nowner: \(current.owner)\ngroup: \(current.group)\n",
                                  after: changes.map(\.diffLine).joined(separator: "\n") + "\n"))
            }
        }
        return steps.isEmpty ? .unchanged(values: values) : Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, _ a: Arguments, on host: HostContext) async throws -> OrderedDictionary<String, Value> {
        var values: OrderedDictionary<String, Value> = [:]
        var attributeCommands: [String] = []
        let path = plan.values["dest"]?.stringValue ?? a.dest
        for step in plan.steps {
            switch step {
            case .write(let write):
                if let backup = try await write.perform(on: host) { values["backup_file"] = .string(backup) }
            case .attribute(let change):
                attributeCommands.append(change.command(for: path))
            }
        }
        if !attributeCommands.isEmpty {
            let result = try await host.run("set -e\n" + attributeCommands.joined(separator: "\n"))
            guard result.status == 0 else { throw KeelError("\(host.name): \(path): \(result.stderrText)") }
        }
        return values
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

    /// Content as diff text: the text itself when it is small UTF-8, a summary otherwise.
    static func text(_ data: Data?, size: Int) -> String {
        guard let data else { return "(\(size) bytes, not shown)\n" }
        if data.count > diffLimit { return "(\(data.count) bytes, not shown)\n" }
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else { return "(binary, \(data.count) bytes)\n" }
        return text
    }
}
