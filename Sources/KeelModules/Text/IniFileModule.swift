import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `ini_file` (community.general.ini_file): an option of a section of an INI file has the given value(s),
/// or is absent, or the whole section is. The edit is Ansible's (IniFileEdit), so the bytes written are
/// the same; the file is read with its attributes in one round trip and written atomically.
public struct IniFileModule: Module {
    public static let name = "ini_file"
    public static let aliases = ["community.general.ini_file"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["value", "values"]]).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Manage options and sections of INI files",
        description: """
            With state=present the option is set to `value` (or to each of `values`, one line each) in `section`, \
            reusing a commented-out line of the option (modify_inactive_option) and, with exclusive, removing its other \
            lines; a missing section is appended at the end. state=absent removes the option's lines (all of them with \
            exclusive, else those with one of `values`), or the whole section when no option is given. Without a \
            section, the option goes before the first section. Lines are written as `option = value` \
            (`option=value` with no_extra_spaces).
            """,
        examples: """
            - community.general.ini_file:
                path: /etc/php/8.2/fpm/php.ini
                section: PHP
                option: memory_limit
                value: 256M
                mode: "0644"
            - ini_file: path=/etc/conf.ini section=drinks option=fav state=absent
            """,
        deviations: ["The file must be UTF-8 text of at most 32 MiB.", "No `attributes`.", SecurityContextOptions.deviation])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest"], help: "The INI file.") var path: String
        @Option("section", .string, help: "The section; omitted or empty: the lines before the first section.") var section: String?
        @Option("section_has_values", .raw, help: "A list of {option, value or values}: only a section holding these lines counts as `section`.") var section_has_values: Value?
        @Option("option", .string, help: "The option; omitted with state=absent removes the whole section.") var option: String?
        @Option("value", .string, help: "The option's value.") var value: String?
        @Option("values", .list(.string), help: "Several values: one line of the option each.") var values: [String]?
        @Option("state", choices: EntryState.self, default: .present, help: "Whether the option (or section) is there.") var state: EntryState
        @Option("exclusive", .bool, default: true, help: "present: remove the option's other lines; absent: remove all its lines whatever their value.") var exclusive: Bool
        @Option("no_extra_spaces", .bool, default: false, help: "Write `option=value` instead of `option = value`.") var no_extra_spaces: Bool
        @Option("ignore_spaces", .bool, default: false, help: "Leave a line alone when only the spacing around `=` differs.") var ignore_spaces: Bool
        @Option("allow_no_value", .bool, default: false, help: "Allow an option without value (a bare `option` line).") var allow_no_value: Bool
        @Option("modify_inactive_option", .bool, default: true, help: "Reuse a commented-out (`#`/`;`) line of the option.") var modify_inactive_option: Bool
        @Option("create", .bool, default: true, help: "Create the file (and its directory) when it is missing; false fails then.") var create: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool
        @Option("follow", .bool, default: false, help: "When path is a symbolic link, edit its target instead of replacing the link.") var follow: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public enum EntryState: String, OptionChoice { case absent, present }

    public struct State: Equatable, Sendable {
        var path: String
        var file: RemotePath
    }

    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var path = a.path
        if a.follow {
            let resolved = try await host.run("[ -L \(ShellQuote.quote(a.path)) ] && readlink -f -- \(ShellQuote.quote(a.path))").stdoutText
            let trimmed = resolved.trimmingCharacters(in: .newlines)
            if !trimmed.isEmpty { path = trimmed }
        }
        return State(path: path, file: try await TextFile.observe(path, on: host))
    }

    static func conditions(_ raw: Value?) throws -> [IniFileEdit.Condition]? {
        guard let raw, raw != .null else { return nil }
        guard case .list(let items) = raw else { throw KeelError("ini_file: section_has_values must be a list", expected: "a list of {option, value}", found: raw.jsonString()) }
        return try items.map { item in
            guard let d = item.dictValue, let option = d["option"]?.stringValue else {
                throw KeelError("ini_file: each section_has_values entry needs an option", expected: "{option: NAME, value: VALUE}", found: item.jsonString())
            }
            if d["value"] != nil && d["values"] != nil && d["value"] != .null && d["values"] != .null {
                throw KeelError("ini_file: parameters are mutually exclusive: value|values", expected: "value or values", found: "both")
            }
            if let value = d["value"], value != .null { return .init(option: option, values: [Self.text(value)]) }
            if case .list(let values)? = d["values"] { return .init(option: option, values: values.map(Self.text)) }
            return .init(option: option, values: [])
        }
    }

    static func text(_ value: Value) -> String { value.stringValue ?? value.jsonString() }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        if a.state == .present && !a.allow_no_value && a.value == nil && (a.values ?? []).isEmpty {
            throw KeelError("ini_file: Parameter 'value(s)' must be defined if state=present and allow_no_value=False.",
                            expected: "value or values", found: "neither")
        }
        let file = observed.file
        let exists = file.kind != .absent
        if !exists && !a.create { throw KeelError("Destination \(observed.path) does not exist!", expected: "an existing file, or create: true") }
        let original = exists ? IniFileEdit.readLines(try TextFile.text(of: file, path: observed.path)) : []
        let edit = IniFileEdit(section: a.section, sectionHasValues: try Self.conditions(a.section_has_values), option: a.option,
                               values: a.value.map { [$0] } ?? a.values ?? [], present: a.state == .present, exclusive: a.exclusive,
                               noExtraSpaces: a.no_extra_spaces, ignoreSpaces: a.ignore_spaces, allowNoValue: a.allow_no_value,
                               modifyInactiveOption: a.modify_inactive_option)
        let outcome = edit.apply(to: original)
        let values: OrderedDictionary<String, Value> = ["msg": .string(outcome.message), "path": .string(a.path)]
        // Unchanged by the edit: the bytes stay as they are (line endings, BOM); only attributes may change.
        if !outcome.changed && !exists { return .unchanged(values: values) }
        let desired = outcome.changed ? Data(outcome.lines.joined().utf8) : (file.content ?? Data())
        var convergence = ContentConvergence(path: observed.path, current: file, desired: desired,
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: nil, backup: a.backup)
        convergence.createParentDirectories = true
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }
}
