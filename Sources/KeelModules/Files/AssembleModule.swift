import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `assemble`: a file on the host made of the fragments in a directory (on the host by default, or the
/// controller's with remote_src: false), joined as Ansible joins them (FragmentAssembly), then converged
/// like copy converges content: compared by SHA-256, written atomically after `validate`, optional backup.
public struct AssembleModule: Module {
    public static let name = "assemble"
    public static let spec = ArgumentSpec(Arguments.self).acceptingSecurityContextOptions()
        .readingControllerFile(ControllerSource(option: "src", kind: "files", unless: "remote_src", unlessByDefault: true))
    public static let documentation = ModuleDocumentation(
        summary: "Put together a file on the host from a directory of fragments",
        description: """
            Reads the regular files in src (on the host, or on the controller with remote_src: false), sorted by name, \
            optionally only those whose names match regexp, and joins them: a newline after a fragment that does not end \
            with one, the delimiter (Python escapes such as \\n un-escaped) between fragments. The result is compared with \
            dest by SHA-256 and written atomically after `validate` passed, keeping the old file's owner and mode unless told otherwise.
            """,
        examples: """
            - name: sshd_config from the fragments in /etc/ssh/sshd_config.d.in
              assemble:
                src: /etc/ssh/sshd_config.d.in
                dest: /etc/ssh/sshd_config
                validate: /usr/sbin/sshd -t -f %s
                backup: true
            - name: From the role's files/motd.d on the controller, only *.txt, with a delimiter
              assemble: src=motd.d dest=/etc/motd remote_src=false regexp='\\.txt$' delimiter='### fragment'
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "Fragments on the host are read through the controller (the joined file is then sent back), not joined on the host.",
            "The result has `checksum` as SHA-256 (Ansible: SHA-1) and no md5sum.",
            "--diff shows the change for fragments on the host too (Ansible's module gives no diff).",
            "Check mode runs neither validate nor backup (Ansible's module runs both in check mode when the content differs).",
            "follow, unsafe_writes, attributes and SELinux options are not supported.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("src", .path, required: true, help: "Directory of fragments: on the host, or with remote_src: false on the controller (the role's files/, the role, the playbook's directory).") var src: String
        @Option("dest", .path, required: true, help: "The file to make from the fragments.") var dest: String
        @Option("delimiter", .string, help: "Put between fragments, with Python escapes (\\n, \\t, \\x41) un-escaped; a newline follows it unless it ends with one.") var delimiter: String?
        @Option("regexp", .string, help: "Only fragments whose file names match (Python regular expression, searched anywhere in the name).") var regexp: String?
        @Option("ignore_hidden", .bool, default: false, help: "Leave out fragments whose names start with a dot.") var ignore_hidden: Bool
        @Option("remote_src", .bool, default: true, help: "The fragments are on the host; false: on the controller.") var remote_src: Bool
        @Option("decrypt", .bool, default: true, help: "Decrypt vault-encrypted fragments on the controller; false sends them as stored.") var decrypt: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file being replaced.") var backup: Bool
        @Option("validate", .string, help: "Command run on the new file before it replaces the old one; %s is its path.") var validate: String?
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public struct State: Equatable, Sendable {
        var current: RemotePath
        var assembled: Data
    }

    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if let validate = a.validate, !validate.contains("%s") {
            throw KeelError("validate must contain %s", expected: "a command with %s for the file to check", found: "'\(validate)'")
        }
        let regexp = try a.regexp.map { try PythonRegex($0, option: "regexp") }
        let assembly = FragmentAssembly(delimiter: a.delimiter, newlineAfterEveryDelimiter: !a.remote_src)
        if a.remote_src {
            let remote = try await RemoteFragments.observe(src: a.src, dest: a.dest, regexp: regexp, ignoreHidden: a.ignore_hidden, on: host)
            return State(current: remote.current, assembled: try assembly.assemble(remote.fragments.map(\.content)))
        }
        let fragments = try ControllerFragments.read(src: a.src, regexp: regexp, ignoreHidden: a.ignore_hidden, decrypt: a.decrypt, files: host.files)
        let assembled = try assembly.assemble(fragments)
        let current = try await RemotePath.observe(a.dest, on: host, checksum: true, contentLimit: ContentConvergence.diffLimit)
        return State(current: current, assembled: assembled)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let convergence = ContentConvergence(path: a.dest, current: observed.current, desired: observed.assembled,
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        let values: OrderedDictionary<String, Value> = ["dest": .string(a.dest), "src": .string(a.src),
                                                        "checksum": .string(convergence.desiredSHA256), "size": .int(observed.assembled.count)]
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }
}
