import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `replace`: every match of a regular expression in a file (or in the part between `after` and
/// `before`) replaced by a template, Python's re.sub in multi-line mode (ansible.builtin.replace).
public struct ReplaceModule: Module {
    public static let name = "replace"
    public static let spec = ArgumentSpec(Arguments.self).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Replace every match of a regular expression in a file",
        description: """
            Reads the file and its attributes in one round trip, substitutes on the controller with Python's \
            re.sub semantics (MULTILINE; `after`/`before` delimit the section with DOTALL, as Ansible builds \
            `after(?P<subsection>.*?)before`), and writes atomically (validated) only when the text changed. \
            When after/before do not match, nothing changes.
            """,
        examples: """
            - replace:
                path: /etc/apt/sources.list
                regexp: '^deb cdrom:'
                replace: '# deb cdrom:'
            - replace:
                path: /etc/haproxy/haproxy.cfg
                after: '^backend app'
                before: '^backend '
                regexp: '^(\\s+server \\S+ \\S+) check$'
                replace: '\\1 check inter 2s'
            """,
        deviations: [
            "Regular expressions run on ICU (Foundation) after translating Python's (?P<name>) syntax: rare constructs may differ.",
            "Only UTF-8 files; no `attributes`. " + SecurityContextOptions.deviation,
        ])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest", "destfile", "name"], help: "The file to edit; it must exist.") var path: String
        @Option("regexp", .string, required: true, help: "Python-style regular expression, multi-line mode (^ and $ match at every line).") var regexp: String
        @Option("replace", .string, default: "", help: "The replacement; \\1, \\g<1> and \\g<name> insert groups. Empty deletes the matches.") var replace: String
        @Option("after", .string, help: "Only replace after the first match of this expression (dot matches newlines).") var after: String?
        @Option("before", .string, help: "Only replace before the match of this expression (the first one after `after` when both are given).") var before: String?
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool
        @Option("validate", .string, help: "Command run on the edited file before it replaces the old one; %s is its path.") var validate: String?
        @Option("encoding", .string, default: "utf-8", choices: ["utf-8", "utf8"], help: "The file's encoding (only UTF-8).") var encoding: String
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public typealias State = RemotePath
    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> RemotePath {
        try await TextFile.observe(a.path, on: host)
    }

    public func plan(_ a: Arguments, observed: RemotePath, on host: HostContext) throws -> Plan<Step> {
        if observed.kind == .absent { throw KeelError("path \(a.path) does not exist", expected: "an existing file") }
        let original = try TextFile.text(of: observed, path: a.path)
        let (result, message) = try substitute(in: original, a)
        let convergence = ContentConvergence(path: a.path, current: observed, desired: Data(result.utf8),
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        return try convergence.plan(values: ["msg": .string(message), "rc": 0])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }

    /// The new text and Ansible's message for it.
    func substitute(in contents: String, _ a: Arguments) throws -> (String, String) {
        let after = a.after.flatMap { $0.isEmpty ? nil : $0 }, before = a.before.flatMap { $0.isEmpty ? nil : $0 }
        var section = contents
        var sectionRange: Range<String.Index>?
        if after != nil || before != nil {
            let pattern: String
            switch (after, before) {
            case let (a?, b?): pattern = "\(a)(?P<subsection>.*?)\(b)"
            case let (a?, nil): pattern = "\(a)(?P<subsection>.*)"
            default: pattern = "(?P<subsection>.*)\(before!)"
            }
            let sectionRegex = try PythonRegex(pattern, option: "after/before", flags: [.dotAll])
            guard let match = sectionRegex.firstMatch(in: contents),
                  let range = Range(match.range(withName: "subsection"), in: contents) else {
                return (contents, "Pattern for before/after params did not match the given file: \(pattern)")
            }
            section = String(contents[range])
            sectionRange = range
        }
        let regex = try PythonRegex(a.regexp, flags: [.multiline])
        let (replaced, count) = regex.substitute(a.replace, in: section)
        // Compared scalar by scalar, as Python compares: Swift's == would call composed and decomposed é equal.
        guard count > 0, !replaced.unicodeScalars.elementsEqual(section.unicodeScalars) else { return (contents, "") }
        var result = replaced
        if let sectionRange { result = String(contents[..<sectionRange.lowerBound]) + replaced + String(contents[sectionRange.upperBound...]) }
        return (result, "\(count) replacements made")
    }
}
