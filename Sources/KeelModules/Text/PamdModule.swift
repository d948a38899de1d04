import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `pamd` (community.general.pamd): edit one rule of a PAM service file (/etc/pam.d/NAME), found by type,
/// control and module path: update it, insert a rule before or after it, add or remove module arguments,
/// or remove it. The edit is Ansible's (PamdService); the file is read in one round trip and written atomically.
public struct PamdModule: Module {
    public static let name = "pamd"
    public static let aliases = ["community.general.pamd"]
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [
        RequiredIf("state", is: "args_present", requires: ["module_arguments"]),
        RequiredIf("state", is: "args_absent", requires: ["module_arguments"]),
        RequiredIf("state", is: "before", requires: ["new_control", "new_type", "new_module_path"]),
        RequiredIf("state", is: "after", requires: ["new_control", "new_type", "new_module_path"])])
    public static let documentation = ModuleDocumentation(
        summary: "Edit PAM service rules",
        description: """
            Finds every rule of /etc/pam.d/NAME (path) with this type, control and module_path. updated sets new_type, \
            new_control, new_module_path and module_arguments on them; before/after inserts the new rule next to each unless \
            the neighbouring rule already is it; args_present adds or changes arguments (key=value replaces the key's \
            value); args_absent removes arguments; absent removes the rules. Like Ansible, a changed file is written with \
            every rule in canonical spacing and an `# Updated by Ansible - DATE` second line.
            """,
        examples: """
            - community.general.pamd:
                name: common-password
                type: password
                control: "[success=1 default=ignore]"
                module_path: pam_unix.so
                module_arguments: [yescrypt, rounds=8]
                state: args_present
            - pamd: name=sshd type=auth control=required module_path=pam_faildelay.so state=absent
            """,
        deviations: ["The `# Updated by Ansible` line carries the date only (Ansible: the time to the microsecond), so check mode shows the same diff as the run.",
                     "args_present adds missing arguments in the order given (Ansible: set order)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The service file in path, e.g. common-auth, sshd.") var name: String
        @Option("type", .string, required: true, choices: PamdService.validTypes.map(Value.string), help: "The rule's type.") var type: String
        @Option("control", .string, required: true, format: .singleLine, help: "The rule's control: required, ..., or `[value=action ...]`.") var control: String
        @Option("module_path", .string, required: true, format: .word, help: "The rule's module, e.g. pam_unix.so.") var module_path: String
        @Option("new_type", .string, choices: PamdService.validTypes.map(Value.string), help: "updated: the new type; before/after: the new rule's type.") var new_type: String?
        @Option("new_control", .string, format: .singleLine, help: "updated: the new control; before/after: the new rule's control.") var new_control: String?
        @Option("new_module_path", .string, format: .word, help: "updated: the new module; before/after: the new rule's module.") var new_module_path: String?
        @Option("module_arguments", .list(.string), help: "Arguments: the new ones (updated, before, after), to add (args_present) or remove (args_absent).") var module_arguments: [String]?
        @Option("state", choices: EditState.self, default: .updated, help: "updated, before, after, args_present, args_absent or absent.") var state: EditState
        @Option("path", .path, default: "/etc/pam.d", help: "The directory of the service files.") var path: String
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool
        public init() {}
    }

    public enum EditState: String, OptionChoice {
        case updated, before, after, absent
        case argsPresent = "args_present"
        case argsAbsent = "args_absent"
    }

    public typealias State = RemotePath
    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> RemotePath {
        try await TextFile.observe((a.path as NSString).appendingPathComponent(a.name), on: host)
    }

    static var mark: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd"
        return "# Updated by Ansible - " + formatter.string(from: Date())
    }

    public func plan(_ a: Arguments, observed: RemotePath, on host: HostContext) throws -> Plan<Step> {
        let file = (a.path as NSString).appendingPathComponent(a.name)
        guard observed.kind != .absent else {
            throw KeelError("Unable to open/read PAM module file \(file) with error [Errno 2] No such file or directory: '\(file)'.", expected: "an existing PAM service file")
        }
        var service: PamdService
        do { service = try PamdService(try TextFile.text(of: observed, path: file)) } catch let error as PamdService.PamdError {
            throw KeelError("\(file): \(error.message)", expected: "PAM rules: TYPE CONTROL MODULE [ARGS]", found: error.message)
        }
        let args = a.module_arguments
        let changes: Int
        func newRule() -> PamdService.Rule { .init(type: a.new_type ?? "", control: a.new_control ?? "", path: a.new_module_path ?? "", args: args ?? []) }
        switch a.state {
        case .updated:
            changes = service.update(a.type, a.control, a.module_path, newType: a.new_type, newControl: a.new_control, newPath: a.new_module_path, newArgs: args)
        case .before: changes = service.insertBefore(a.type, a.control, a.module_path, new: newRule())
        case .after: changes = service.insertAfter(a.type, a.control, a.module_path, new: newRule())
        case .argsAbsent: changes = service.removeArguments(a.type, a.control, a.module_path, args ?? [])
        case .argsPresent:
            if PamdService.arguments(args ?? []).contains(where: { $0.hasPrefix("[") }) {
                throw KeelError("Unable to process bracketed '[' complex arguments with 'args_present'. Please use 'updated'.")
            }
            changes = service.addArguments(a.type, a.control, a.module_path, args ?? [])
        case .absent: changes = service.remove(a.type, a.control, a.module_path)
        }
        if let problem = service.problem { throw KeelError("\(file): \(problem)", expected: "a valid PAM rule") }
        let values: OrderedDictionary<String, Value> = ["change_count": .int(changes), "backupdest": ""]
        guard changes > 0 else { return .unchanged(values: values) }
        let convergence = ContentConvergence(path: file, current: observed, desired: Data(service.text(mark: Self.mark).utf8),
                                             attributes: FileAttributes(mode: nil, owner: nil, group: nil), validate: nil, backup: a.backup)
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var applied = try await ContentConvergence.apply(plan, on: host)
        if let backup = applied.values["backup_file"] { applied.values["backupdest"] = backup }
        return applied
    }
}
