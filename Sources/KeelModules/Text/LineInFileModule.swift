import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `lineinfile`: one line is present (replacing the line a regexp finds, or inserted at a position) or
/// absent, in an otherwise untouched file (ansible.builtin.lineinfile).
public struct LineInFileModule: Module {
    public static let name = "lineinfile"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["insertafter", "insertbefore"], ["regexp", "search_string"], ["backrefs", "search_string"]],
        requiredIf: [RequiredIf("state", is: "present", requires: ["line"]), RequiredIf("backrefs", is: true, requires: ["regexp"])]).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Make sure a particular line is in a file, or not",
        description: "Reads the file and its attributes in one round trip, edits it on the controller, and writes it back atomically (validated) only when the text changed.",
        examples: """
            - lineinfile:
                path: /etc/ssh/sshd_config
                regexp: '^#?PasswordAuthentication'
                line: PasswordAuthentication no
                validate: /usr/sbin/sshd -t -f %s
            - lineinfile: path=/etc/hosts line='198.18.0.2 acme.lab.test' create=yes
            """)

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest", "destfile", "name"], help: "The file to edit.") var path: String
        @Option("regexp", .string, aliases: ["regex"], help: "Python-style regular expression finding the line to replace (the last match, or the first with firstmatch) or, with state=absent, the lines to remove.") var regexp: String?
        @Option("search_string", .string, help: "Literal text finding the line, instead of regexp.") var search_string: String?
        @Option("state", choices: LineState.self, default: .present, help: "Whether the line should be there.") var state: LineState
        @Option("line", .string, aliases: ["value"], help: "The line to put in the file (required for state=present).") var line: String?
        @Option("backrefs", .bool, default: false, help: "Expand \\1 or \\g<name> in line from the regexp's match; leave the file alone when nothing matches.") var backrefs: Bool
        @Option("insertafter", .string, help: "EOF, BOF, or a regular expression: insert after its last (or first) match when regexp finds nothing.") var insertafter: String?
        @Option("insertbefore", .string, help: "BOF or a regular expression: insert before its last (or first) match when regexp finds nothing.") var insertbefore: String?
        @Option("firstmatch", .bool, default: false, help: "Use the first match of regexp/insertafter/insertbefore instead of the last.") var firstmatch: Bool
        @Option("create", .bool, default: false, help: "Create the file when it does not exist (otherwise that is an error).") var create: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool
        @Option("validate", .string, help: "Command run on the edited file before it replaces the old one; %s is its path.") var validate: String?
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    /// Whether the line should be in the file (shared by line-editing modules).
    public enum LineState: String, OptionChoice { case present, absent }

    public typealias State = RemotePath
    public typealias Step = ContentStep

    static let sizeLimit = 32 * 1024 * 1024

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> RemotePath {
        try await RemotePath.observe(a.path, on: host, checksum: true, contentLimit: LineInFileModule.sizeLimit)
    }

    public func plan(_ a: Arguments, observed: RemotePath, on host: HostContext) throws -> Plan<Step> {
        var lines: TextLines
        switch observed.kind {
        case .absent:
            if a.state == .absent { return .unchanged(values: ["msg": "file not present"]) }
            guard a.create else { throw KeelError("destination \(a.path) does not exist: set create: true to make it") }
            lines = TextLines("")
        case .file:
            guard let content = observed.content else { throw KeelError("\(a.path) is larger than \(LineInFileModule.sizeLimit) bytes") }
            guard let text = String(data: content, encoding: .utf8) else { throw KeelError("\(a.path) is not UTF-8 text") }
            lines = TextLines(text)
        default:
            throw KeelError("\(a.path) is a \(observed.kind.rawValue), not a file")
        }
        let message = try a.state == .absent ? remove(from: &lines, a) : insert(into: &lines, a)
        let convergence = ContentConvergence(path: a.path, current: observed, desired: Data(lines.text.utf8),
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        return try convergence.plan(values: ["msg": .string(message)])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }

    /// state=present. Returns the message Ansible reports.
    func insert(into file: inout TextLines, _ a: Arguments) throws -> String {
        let line = a.line ?? ""
        let finder = try a.regexp.map { try PythonRegex($0) }
        let anchorPattern = [a.insertafter, a.insertbefore].compactMap { $0 }.first { $0 != "BOF" && $0 != "EOF" }
        let anchor = try anchorPattern.map { try PythonRegex($0, option: a.insertafter != nil ? "insertafter" : "insertbefore") }

        // 1. The line the regexp or search_string finds is replaced; insert positions only matter otherwise.
        var found: (index: Int, match: NSTextCheckingResult?)?
        for (index, current) in file.lines.enumerated() {
            let bare = TextLines.bare(current)
            if let finder, let match = finder.firstMatch(in: bare) { found = (index, match) }
            else if let search = a.search_string, current.contains(search) { found = (index, nil) }
            else { continue }
            if a.firstmatch { break }
        }
        if let found {
            var replacement = line
            if a.backrefs, let finder, let match = found.match {
                replacement = finder.expand(line, match: match, in: TextLines.bare(file.lines[found.index]))
            }
            let terminated = replacement + "\n"
            if file.lines[found.index] == terminated || (TextLines.bare(file.lines[found.index]) == replacement && !TextLines.isTerminated(file.lines[found.index])) {
                return ""
            }
            file.lines[found.index] = terminated
            return "line replaced"
        }
        if a.backrefs { return "" }   // nothing to take the groups from: leave the file alone

        // 2. The exact line anywhere means nothing to do; otherwise find where to insert.
        var anchorIndex: Int?
        for (index, current) in file.lines.enumerated() {
            if TextLines.bare(current) == line { return "" }
            if let anchor, anchor.matches(TextLines.bare(current)), !(a.firstmatch && anchorIndex != nil) {
                anchorIndex = a.insertafter != nil ? index + 1 : index
            }
        }
        if a.insertbefore == "BOF" || a.insertafter == "BOF" {
            file.lines.insert(line + "\n", at: 0)
        } else if let anchorIndex {
            if anchorIndex == file.lines.count { file.terminateLastLine() }
            file.lines.insert(line + "\n", at: anchorIndex)
        } else {
            file.terminateLastLine()
            file.lines.append(line + "\n")
        }
        return "line added"
    }

    /// state=absent: every line the regexp, search_string or exact line matches goes.
    func remove(from file: inout TextLines, _ a: Arguments) throws -> String {
        let finder = try a.regexp.map { try PythonRegex($0) }
        let before = file.lines.count
        file.lines.removeAll { current in
            let bare = TextLines.bare(current)
            if let finder { return finder.matches(bare) }
            if let search = a.search_string { return current.contains(search) }
            return bare == a.line
        }
        let removed = before - file.lines.count
        return removed == 0 ? "" : "\(removed) line(s) removed"
    }
}
