import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `blockinfile`: a block of lines between two marker lines is present (inserted at a position, or
/// replacing the block the markers already enclose) or absent (ansible.builtin.blockinfile). The rest
/// of the file is left byte for byte as it was.
public struct BlockInFileModule: Module {
    public static let name = "blockinfile"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["insertafter", "insertbefore"]]).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Insert, update or remove a block of lines between marker lines",
        description: """
            Finds the block by its two marker lines (exact lines); replaces it when the text differs, or inserts \
            it at insertafter/insertbefore when the markers are missing. A regular expression there is searched \
            line by line and the last matching line wins, unless it starts with (?m): then it is searched in the \
            whole file and the first match wins, as Ansible does. Reads the file and its attributes in one round \
            trip and writes atomically (validated) only when the text changed.
            """,
        examples: """
            - blockinfile:
                path: /etc/ssh/sshd_config
                marker: "# {mark} keel: sftp users"
                block: |
                  Match Group sftp
                    ChrootDirectory %h
                    ForceCommand internal-sftp
                validate: /usr/sbin/sshd -t -f %s
            - blockinfile:
                path: /etc/hosts
                block: "198.18.0.2 acme.lab.test"
                insertbefore: BOF
            - blockinfile: path=/etc/hosts marker="# {mark} lab" state=absent
            """,
        deviations: ["The file must be UTF-8 text of at most 32 MiB.", "No `encoding` or `attributes`.", SecurityContextOptions.deviation])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest", "destfile", "name"], help: "The file to edit.") var path: String
        @Option("state", choices: BlockState.self, default: .present, help: "Whether the block should be there.") var state: BlockState
        @Option("marker", .string, default: "# {mark} ANSIBLE MANAGED BLOCK", help: "The marker line template; {mark} becomes marker_begin or marker_end. Use a comment syntax the file understands.") var marker: String
        @Option("marker_begin", .string, default: "BEGIN", help: "What {mark} becomes in the first marker line.") var marker_begin: String
        @Option("marker_end", .string, default: "END", help: "What {mark} becomes in the last marker line.") var marker_end: String
        @Option("block", .string, default: "", aliases: ["content"], help: "The text between the markers. Empty removes the block, as state=absent does.") var block: String
        @Option("insertafter", .string, help: "EOF (the default) or a regular expression: a new block goes after the last line it matches (at EOF when none does).") var insertafter: String?
        @Option("insertbefore", .string, help: "BOF or a regular expression: a new block goes before the last line it matches (at EOF when none does).") var insertbefore: String?
        @Option("create", .bool, default: false, help: "Create the file (and its directory) when it does not exist.") var create: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file before changing it.") var backup: Bool
        @Option("validate", .string, help: "Command run on the edited file before it replaces the old one; %s is its path.") var validate: String?
        @Option("append_newline", .bool, default: false, help: "Put a blank line after the block unless one is there or the block ends the file.") var append_newline: Bool
        @Option("prepend_newline", .bool, default: false, help: "Put a blank line before the block unless one is there or the block starts the file.") var prepend_newline: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public enum BlockState: String, OptionChoice { case present, absent }

    public typealias State = RemotePath
    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> RemotePath {
        try await TextFile.observe(a.path, on: host)
    }

    public func plan(_ a: Arguments, observed: RemotePath, on host: HostContext) throws -> Plan<Step> {
        let original: String?
        if observed.kind == .absent {
            if a.state == .absent { return .unchanged(values: ["msg": .string("File \(a.path) not present")]) }
            guard a.create else { throw KeelError("path \(a.path) does not exist", expected: "an existing file, or create: true") }
            original = nil
        } else {
            original = try TextFile.text(of: observed, path: a.path)
        }
        let (result, blockPresent) = try edit(original ?? "", a)
        let message: String
        if original == result { message = "" }
        else if original == nil { message = "File created" }
        else if !blockPresent { message = "Block removed" }
        else { message = "Block inserted" }
        var convergence = ContentConvergence(path: a.path, current: observed, desired: Data(result.utf8),
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        convergence.createParentDirectories = true
        return try convergence.plan(values: ["msg": .string(message)])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }

    /// The edited text, and whether it holds the block (false when the edit removed it).
    func edit(_ original: String, _ a: Arguments) throws -> (String, Bool) {
        var lines = TextFile.splitLines(original)
        let present = a.state == .present
        let begin = a.marker.replacingOccurrences(of: "{mark}", with: a.marker_begin) + "\n"
        let end = a.marker.replacingOccurrences(of: "{mark}", with: a.marker_end) + "\n"
        var blockLines: [String] = []
        if present, !a.block.isEmpty {
            var block = a.block
            if !TextFile.endsWithNewline(block) { block += "\n" }
            blockLines = [begin] + TextFile.splitLines(block) + [end]
        }

        // Where the markers are now (the last of each, compared as whole lines with their newline).
        var beginIndex: Int?, endIndex: Int?
        for (index, line) in lines.enumerated() {
            if line == begin { beginIndex = index }
            if line == end { endIndex = index }
        }

        var position: Int
        if let b = beginIndex, let e = endIndex {
            lines.removeSubrange(min(b, e)...max(b, e))
            position = min(b, e)
        } else {
            position = try insertPosition(lines, original: original, a)
        }

        if position > 0, !TextFile.endsWithNewline(lines[position - 1]) { lines[position - 1] += "\n" }
        if a.prepend_newline, present, position != 0, lines[position - 1] != "\n" {
            lines.insert("\n", at: position)
            position += 1
        }
        lines.insert(contentsOf: blockLines, at: position)
        if a.append_newline, present {
            let after = position + blockLines.count
            if after < lines.count, lines[after] != "\n" { lines.insert("\n", at: after) }
        }
        return (lines.joined(), !blockLines.isEmpty)
    }

    /// Where a block whose markers are missing goes.
    func insertPosition(_ lines: [String], original: String, _ a: Arguments) throws -> Int {
        let after = a.insertafter ?? (a.insertbefore == nil ? "EOF" : nil)
        let pattern: (text: String, option: String)?
        if let after, after != "EOF" { pattern = (after, "insertafter") }
        else if let before = a.insertbefore, before != "BOF" { pattern = (before, "insertbefore") }
        else { pattern = nil }
        guard let pattern else { return after == nil ? 0 : lines.count }

        let regex = try PythonRegex(pattern.text, option: pattern.option)
        var found: Int?
        if regex.setsMultiline {
            // A (?m) pattern is searched in the whole text; the line is counted from the match.
            if let match = regex.firstMatch(in: original), let range = Range(match.range, in: original) {
                let boundary = after != nil ? range.upperBound : range.lowerBound
                found = original[..<boundary].unicodeScalars.filter { $0 == "\n" }.count
            }
        } else {
            for (index, line) in lines.enumerated() where regex.matches(line) { found = index }
        }
        guard let found else { return lines.count }
        return after != nil ? found + 1 : found
    }
}
