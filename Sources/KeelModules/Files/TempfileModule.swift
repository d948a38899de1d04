import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `tempfile`: a new, uniquely named file or directory on the host, made with mktemp
/// (ansible.builtin.tempfile). Every run makes a new one, so it always reports a change; in check mode
/// it is skipped, as in Ansible, because the name cannot be predicted.
public struct TempfileModule: Module {
    public static let name = "tempfile"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Make a temporary file or directory on the host",
        description: "Returns `path`. The file is mode 0600 and the directory 0700 (mktemp's), owned by the connecting (or become) user. Remove it with `file: state=absent` when done.",
        examples: """
            - tempfile: state=directory suffix=.build
              register: build_dir
            - file: path="{{ build_dir.path }}" state=absent
            """)

    public struct Arguments: ModuleArguments {
        @Option("state", choices: TempfileKind.self, default: .file, help: "Make a file or a directory.") var state: TempfileKind
        @Option("path", .path, help: "The directory to make it in (default: $TMPDIR on the host, else /tmp).") var path: String?
        @Option("prefix", .string, default: "ansible.", help: "Start of the name.") var prefix: String
        @Option("suffix", .string, default: "", help: "End of the name.") var suffix: String

        public init() {}
    }

    public enum TempfileKind: String, OptionChoice { case file, directory }

    public typealias State = Bool
    /// The temporary file or directory to make: mktemp picks the name.
    public struct Step: Sendable, Codable, Equatable {
        var directory: Bool
        var path: String?
        var prefix: String
        var suffix: String
    }

    public static var supportsCheckMode: Bool { false }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> Bool { true }

    public func plan(_ a: Arguments, observed: Bool, on host: HostContext) throws -> Plan<Step> {
        guard !a.prefix.contains("/"), !a.suffix.contains("/") else {
            throw KeelError("tempfile: prefix and suffix cannot contain '/'", found: "prefix '\(a.prefix)', suffix '\(a.suffix)'")
        }
        return Plan(steps: [Step(directory: a.state == .directory, path: a.path, prefix: a.prefix, suffix: a.suffix)],
                    values: ["state": .string(a.state.rawValue)])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let a = plan.steps[0]
        let directory = a.path.map(ShellQuote.quote) ?? "\"${TMPDIR:-/tmp}\""
        let script = "exec mktemp \(a.directory ? "-d " : "")--tmpdir=\(directory) --suffix=\(ShellQuote.quote(a.suffix)) -- "
            + ShellQuote.quote(a.prefix + "XXXXXXXX")
        let result = try await host.runChecked(script, failure: "cannot make a temporary \(a.directory ? "directory" : "file")")
        return .changed(["path": .string(result.stdoutText.trimmingCharacters(in: .newlines))])
    }
}
