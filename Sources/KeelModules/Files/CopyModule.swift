import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `copy`: a file on the host has exactly this content (inline `content`, or `src` from the controller's
/// files/), with the given attributes. Compared by SHA-256 in the same round trip that reads the
/// attributes; written through FileWrite (atomic, validated, optional backup).
public struct CopyModule: Module {
    public static let name = "copy"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["content", "src"]], requiredOneOf: [["content", "src"]]).acceptingSecurityContextOptions()
        .readingControllerFile(ControllerSource(option: "src", kind: "files", unless: "remote_src"))
    public static let documentation = ModuleDocumentation(
        summary: "Put a file (or a directory tree) with exactly this content on the host",
        description: "Compares by SHA-256 and attributes in one round trip; writes atomically (temporary file + rename) after `validate` passed; keeps the old file's owner and mode unless told otherwise.",
        examples: """
            - copy:
                content: "net.ipv4.ip_forward = 1\\n"
                dest: /etc/sysctl.d/60-forward.conf
                mode: "0644"
            - copy: src=sudoers.d/deploy dest=/etc/sudoers.d/deploy validate='visudo -cf %s' mode=0440
            - name: The whole conf.d directory of the role's files/ (conf.d/ would copy only its contents)
              copy: src=conf.d dest=/etc/app/ directory_mode=0750 mode=0640
            """,
        deviations: ["A directory src works from the controller only: with remote_src, src must be a file.",
                     "A directory tree is copied file by file (each file atomically), not as one archive.",
                     "The `checksum` return value is SHA-256, not SHA-1.",
                     "local_follow, follow, checksum and attributes are not supported. " + SecurityContextOptions.deviation])

    public struct Arguments: ModuleArguments {
        @Option("dest", .path, required: true, help: "Where the file goes; an existing directory (or a path ending in /) receives src's file name.") var dest: String
        @Option("src", .path, help: "File on the controller: relative paths are looked up in the role's files/ and the playbook's directory.") var src: String?
        @Option("content", .string, help: "The file's content, inline.") var content: String?
        @Option("remote_src", .bool, default: false, help: "src is a file on the host, not the controller.") var remote_src: Bool
        @Option("decrypt", .bool, default: true, help: "Decrypt a vault-encrypted src on the controller; false sends it as stored.") var decrypt: Bool
        @Option("directory_mode", .mode, help: "Mode of directories made while copying a directory tree (existing ones are left alone).") var directory_mode: Value?
        @Option("force", .bool, default: true, help: "Replace a file whose content differs; false only creates missing files.") var force: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file being replaced.") var backup: Bool
        @Option("validate", .string, help: "Command run on the new file before it replaces the old one; %s is its path.") var validate: String?
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public enum State: Equatable, Sendable {
        case file(path: String, current: RemotePath, desiredContent: Data)
        case tree(CopyTree)
    }

    public typealias Step = CopyStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if let src = a.src, !a.remote_src, let local = host.files.find(src, kind: "files"), Self.isDirectory(local) {
            return .tree(try await CopyTree.observe(source: local, sourceArgument: src, dest: a.dest, on: host))
        }
        let content = try await desiredContent(a, on: host)
        let sourceName = (a.src as NSString?)?.lastPathComponent ?? ""
        let destination = try await ContentDestination.observe(dest: a.dest, sourceName: sourceName, on: host)
        return .file(path: destination.path, current: destination.current, desiredContent: content)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
        switch observed {
        case .tree(let tree):
            var values: OrderedDictionary<String, Value> = ["dest": .string(a.dest)]
            if let src = a.src { values["src"] = .string(src) }
            return try tree.plan(attributes: attributes, directoryMode: a.directory_mode, force: a.force, validate: a.validate,
                                 backup: a.backup, values: values)
        case .file(let path, let current, let desiredContent):
            var fileAttributes = attributes
            if a.mode == .string("preserve") {
                guard let src = a.src, !a.remote_src else { throw KeelError("mode: preserve needs src on the controller") }
                fileAttributes.mode = FileAttributes.resolvingPreserve(a.mode, sourcePath: host.files.find(src, kind: "files"))
            }
            var convergence = ContentConvergence(path: path, current: current, desired: desiredContent,
                                                 attributes: fileAttributes, validate: a.validate, backup: a.backup)
            convergence.replaceExisting = a.force
            var values: OrderedDictionary<String, Value> = ["dest": .string(path), "checksum": .string(convergence.desiredSHA256),
                                                            "size": .int(desiredContent.count)]
            if let src = a.src { values["src"] = .string(src) }
            let plan = try convergence.plan(values: values)
            return Plan(steps: plan.steps.map { .content(path, $0) }, diffs: plan.diffs, values: plan.values)
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await CopyStep.apply(plan, on: host)
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    func desiredContent(_ a: Arguments, on host: HostContext) async throws -> Data {
        if let content = a.content { return Data(content.utf8) }
        guard let src = a.src else { throw KeelError("copy needs content or src") }
        if a.remote_src {
            return try await host.connection.download(src, become: host.become)
        }
        return try host.files.read(src, kind: "files", decrypt: a.decrypt).data
    }
}
