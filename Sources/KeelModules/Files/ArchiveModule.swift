import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `archive` (community.general.archive): packs files and trees on the host into a tar (gz, bz2, xz) or
/// zip archive, or compresses a single file, with GNU tar, gzip/bzip2/xz and zip there. Unlike Ansible,
/// which rewrites the archive on every run and then compares checksums, Keel first compares what the
/// archive holds with the sources (member names, then `tar --compare`, or zip members' bytes, or the
/// decompressed file) and writes only when they differ, so check mode predicts exactly.
public struct ArchiveModule: Module {
    public static let name = "archive"
    public static let aliases = ["community.general.archive"]
    public static let spec = ArgumentSpec(Arguments.self).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Create a tar/zip archive or a compressed file on the host",
        description: """
            path is a list of paths or globs (* or ?). Several paths, a glob or a directory make an archive (members \
            named relative to the paths' common parent, a directory's contents but not the directory itself, as \
            Ansible); a single file is compressed (dest defaults to PATH.FORMAT) unless force_archive. The archive \
            is written to a temporary file and renamed into place, only when its content would differ. remove deletes \
            the archived sources. Returns archived, missing, dest, dest_state (archive, compress, incomplete, absent), \
            arcroot, expanded_paths and expanded_exclude_paths. Needs GNU tar and the compressor (gzip, bzip2, xz) or \
            zip on the host.
            """,
        examples: """
            - community.general.archive:
                path: /var/www/site
                dest: /backup/site.tar.gz
            - community.general.archive:
                path: [/etc/nginx/nginx.conf, /etc/nginx/conf.d/*.conf]
                dest: /backup/nginx.zip
                format: zip
                exclusion_patterns: ["*.bak"]
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "The archive is written only when its members differ from the sources (Ansible rewrites it and compares), and check mode predicts that exactly (Ansible's always predicts a change for an archive).",
            "tar archives are GNU tar's format (Ansible's Python writes PAX); members, modes, owners and times are the same.",
        ])

    public enum Format: String, OptionChoice, Encodable { case gz, bz2, tar, xz, zip }

    public struct Arguments: ModuleArguments {
        @Option("path", .list(.path), required: true, help: "Paths or globs to archive.") var path: [String]
        @Option("format", choices: Format.self, default: .gz, help: "Compression / archive type.") var format: Format
        @Option("dest", .path, help: "The archive (required for several files, a glob or a directory).") var dest: String?
        @Option("exclude_path", .list(.path), default: [], help: "Paths or globs taken out of path's expansion.") var exclude_path: [String]
        @Option("exclusion_patterns", .list(.path), help: "Globs of members to leave out (matched against the member name for tar, the full path for zip).") var exclusion_patterns: [String]?
        @Option("force_archive", .bool, default: false, help: "Make an archive even of a single file.") var force_archive: Bool
        @Option("remove", .bool, default: false, help: "Delete the sources once archived.") var remove: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?
        public init() {}
    }

    /// What the host has: the sources as the archive would hold them, and whether the archive already does.
    public struct State: Sendable, Equatable {
        var sources: ArchiveSources
        var root: String
        var destination: String
        var mustArchive: Bool
        /// Archive member names (relative to root; directories end in /) with their full paths, in order.
        var members: [[String]]
        var missing: [String]
        var targets: [String]
        var destExists: Bool
        var upToDate: Bool
        var destPath: RemotePath
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case create(Creation)
        case attributes(path: String, [AttributeChange])
        case remove([String])

        public var description: String {
            switch self {
            case .create(let c): return "write \(c.destination) (\(c.format.rawValue), \(c.single != nil ? "1 file" : "\(c.names.count) members"))"
            case .attributes(let path, let changes): return "set \(changes.map(\.diffLine).joined(separator: ", ")) on \(path)"
            case .remove(let paths): return "remove \(paths.joined(separator: ", "))"
            }
        }
    }

    public struct Creation: Sendable, Codable, Equatable {
        var format: Format
        var destination: String
        var root: String
        var names: [String]
        /// The one file to compress (not an archive).
        var single: String?
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        // 1. Expand globs on the host.
        let expansion = ArchiveSources.expansionScript(a.path, tag: "P") + ArchiveSources.expansionScript(a.exclude_path, tag: "X")
        let listed = try await host.run(expansion.joined(separator: "\n") + "\ntrue").stdout
        var expanded: [String] = [], excluded: [String] = []
        let parts = listed.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var index = 0
        while index + 1 < parts.count {
            if parts[index] == "P" { expanded.append(parts[index + 1]) } else if parts[index] == "X" { excluded.append(parts[index + 1]) }
            index += 2
        }
        let sources = ArchiveSources(expandedPaths: expanded, expandedExcludes: excluded, hadGlobs: a.path.contains(where: ArchiveSources.isGlob))
        let paths = sources.paths
        guard !paths.isEmpty else {
            throw ModuleFailure(message: "Error, no source paths were found",
                                values: ["path": .string(a.path.joined(separator: ", ")), "expanded_paths": .string(expanded.joined(separator: ", ")),
                                         "expanded_exclude_paths": .string(excluded.joined(separator: ", "))], changed: false)
        }
        let root = ArchiveSources.commonRoot(paths)

        // 2. What each source is, and the trees below directories (find's order, rearranged as os.walk's).
        var script: [String] = []
        for path in paths {
            let p = ShellQuote.quote(path)
            script.append("if [ -d \(p) ] && [ ! -L \(p) ]; then printf 'D\\0%s\\0' \(p); find \(p) -mindepth 1 -printf '%y%Y\\0%p\\0'; elif [ -e \(p) ] || [ -L \(p) ]; then printf 'F\\0%s\\0' \(p); else printf 'M\\0%s\\0' \(p); fi")
        }
        let firstIsDirectory = try await host.run("[ -d \(ShellQuote.quote(paths[0])) ]").status == 0
        let mustArchive = a.force_archive || sources.hadGlobs || firstIsDirectory || paths.count > 1
        let destination = a.dest ?? (mustArchive ? "" : paths[0] + "." + a.format.rawValue)
        guard !destination.isEmpty else {
            throw ModuleFailure(message: "Error, must specify \"dest\" when archiving multiple files or trees", changed: false)
        }
        if a.remove, firstIsDirectory || paths.count > 0 {
            for path in paths where destination.hasPrefix(path.hasSuffix("/") ? path : path + "/") {
                if try await host.run("[ -d \(ShellQuote.quote(path)) ]").status == 0 {
                    throw ModuleFailure(message: "Error, created archive can not be contained in source paths when remove=true", changed: false)
                }
            }
        }
        let out = try await host.run(script.joined(separator: "\n")).stdout
        let fields = out.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var members: [[String]] = [], missing: [String] = [], targets: [String] = []
        let excludes = try (a.exclusion_patterns ?? []).map { try PythonRegex(NameMatcher.fnmatchRegex($0), option: "exclusion_patterns") }
        func isExcluded(_ name: String, _ full: String) -> Bool {
            let subject = a.format == .zip ? full : name
            return excludes.contains { $0.matches(subject) }
        }
        func name(_ full: String) -> String { full.hasPrefix(root) ? String(full.dropFirst(root.count)) : full }
        var i = 0
        while i + 1 < fields.count {
            let tag = fields[i], path = fields[i + 1]
            i += 2
            switch tag {
            case "M": missing.append(path)
            case "F":
                targets.append(path)
                if !isExcluded(name(path), path) { members.append([name(path), path]) }
            case "D":
                targets.append(path)
                var entries: [(type: String, path: String)] = []
                while i + 1 < fields.count, fields[i].count == 2 {
                    entries.append((fields[i], fields[i + 1]))
                    i += 2
                }
                for entry in Self.walkOrder(entries, root: path) where !isExcluded(name(entry.path), entry.path) {
                    let isDirectory = entry.type == "dd"
                    members.append([name(entry.path) + (isDirectory ? "/" : ""), entry.path])
                }
            default: break
            }
        }
        let destPath = try await RemotePath.observe(destination, on: host)
        var upToDate = false
        if destPath.kind == .file && !targets.isEmpty {
            upToDate = try await Self.holds(destination, members: members, single: mustArchive ? nil : targets.first, format: a.format,
                                            root: root, on: host)
        }
        return State(sources: sources, root: root, destination: destination, mustArchive: mustArchive, members: members, missing: missing,
                     targets: targets, destExists: destPath.kind != .absent, upToDate: upToDate, destPath: destPath)
    }

    /// os.walk(topdown) order of find's listing below `root`: each directory's subdirectories (links to
    /// directories included, not entered), then its other entries; then each subdirectory in turn.
    static func walkOrder(_ entries: [(type: String, path: String)], root: String) -> [(type: String, path: String)] {
        var children: [String: [(type: String, path: String)]] = [:]
        for entry in entries { children[ArchiveSources.dirname(entry.path), default: []].append(entry) }
        var out: [(type: String, path: String)] = []
        func visit(_ directory: String) {
            let list = children[directory] ?? []
            let dirs = list.filter { $0.type.last == "d" }, files = list.filter { $0.type.last != "d" }
            out += dirs + files
            for sub in dirs where sub.type == "dd" { visit(sub.path) }
        }
        var start = root
        while start.count > 1 && start.hasSuffix("/") { start.removeLast() }
        visit(start)
        return out
    }

    /// Whether the archive at `dest` already holds exactly these members with the sources' content.
    static func holds(_ dest: String, members: [[String]], single: String?, format: Format, root: String, on host: HostContext) async throws -> Bool {
        let d = ShellQuote.quote(dest)
        if let single {
            let tool = format == .gz ? "gzip" : format == .bz2 ? "bzip2" : format == .xz ? "xz" : nil
            guard let tool else { return false }
            return try await host.run("\(tool) -dc -- \(d) 2>/dev/null | cmp -s - \(ShellQuote.quote(single))").status == 0
        }
        let names = members.map { $0[0] }
        let r = ShellQuote.quote(root.isEmpty ? "." : root)
        if format == .zip {
            let listing = try await host.run("command -v unzip >/dev/null 2>&1 || exit 3; unzip -Z1 -- \(d)")
            guard listing.status == 0, listing.stdoutText.split(separator: "\n").map(String.init) == names else { return false }
            let compare = members.filter { !$0[0].hasSuffix("/") }.map {
                "unzip -p -- \(d) \(ShellQuote.quote(Self.unzipLiteral($0[0]))) | cmp -s - \(ShellQuote.quote($0[1])) || exit 1"
            }
            // No pipefail (dash would exit on it): the names already match, so a member unzip cannot read gives no bytes and differs.
            return try await host.run((compare + ["true"]).joined(separator: "\n")).status == 0
        }
        let listing = try await host.run("tar --quoting-style=literal -tf \(d) 2>/dev/null")
        guard listing.status == 0, listing.stdoutText.split(separator: "\n").map(String.init) == names else { return false }
        return try await host.run("cd \(r) && tar -d -f \(d) >/dev/null 2>&1").status == 0
    }

    public func plan(_ a: Arguments, observed s: State, on host: HostContext) throws -> Plan<Step> {
        // Ansible lists a member as archived when the archive then holds its name: zipfile stores a directory as
        // "name/", which its lookup of "name" misses, so a zip's directories are not listed.
        let listed = a.format == .zip ? s.members.filter { !$0[0].hasSuffix("/") } : s.members
        let archived = s.targets.isEmpty ? [] : (s.mustArchive ? listed.map { $0[1] } : [s.targets[0]])
        let destState: String
        if s.targets.isEmpty {
            destState = s.destExists ? (Self.isArchiveName(s.destination) ? "archive" : "compress") : "absent"
        } else if s.mustArchive {
            destState = s.missing.isEmpty ? "archive" : "incomplete"
        } else {
            destState = "compress"
        }
        var values: OrderedDictionary<String, Value> = [
            "archived": .list(archived.map(Value.string)), "dest": .string(s.destination), "dest_state": .string(destState),
            "arcroot": .string(s.root), "missing": .list(s.missing.map(Value.string)),
            "expanded_paths": .list(s.sources.expandedPaths.map(Value.string)),
            "expanded_exclude_paths": .list(s.sources.expandedExcludes.map(Value.string)),
        ]
        var steps: [Step] = []
        if !s.targets.isEmpty && !s.upToDate {
            steps.append(.create(Creation(format: a.format, destination: s.destination, root: s.root, names: s.members.map { $0[0] },
                                          single: s.mustArchive ? nil : s.targets[0])))
        }
        let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
        let changes = steps.isEmpty ? attributes.changes(for: s.destPath) : attributes.changes(for: RemotePath(kind: .absent))
        if (s.destExists || !steps.isEmpty) && !changes.isEmpty { steps.append(.attributes(path: s.destination, changes)) }
        if a.remove && !s.targets.isEmpty {
            // Ansible removes what it archived, then every directory among the paths.
            let removed = s.mustArchive ? s.members.map { $0[1] } + s.targets.filter { t in !s.members.contains { $0[1] == t } } : [s.targets[0]]
            if !removed.isEmpty { steps.append(.remove(removed)) }
        }
        if steps.isEmpty { return .unchanged(values: values) }
        values["changed"] = nil
        return Plan(steps: steps, diffs: [], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .create(let c): try await Self.create(c, on: host)
            case .attributes(let path, let changes):
                try await host.runChecked(changes.map { $0.command(for: path) }.joined(separator: " && "), failure: "cannot set the attributes of \(path)")
            case .remove(let paths):
                try await host.runChecked(paths.map { "rm -rf -- \(ShellQuote.quote($0))" }.joined(separator: "\n"), failure: "Error deleting some source files")
            }
        }
        return .changed()
    }

    /// Writes the archive next to its destination and renames it into place.
    static func create(_ c: Creation, on host: HostContext) async throws {
        let tmp = "\"$dir/.keel-tmp.\(AtomicReplacement.randomSuffix())\(c.format == .zip ? ".zip" : "")\""
        var lines = [
            "set -e", "dest=\(ShellQuote.quote(c.destination))",
            #"case $dest in */*) dir=${dest%/*}; dir=${dir:-/};; *) dir=$PWD;; esac"#,
            #"case $dir in /*) ;; *) dir=$PWD/$dir;; esac"#,
            "tmp=\(tmp)", #"trap 'rm -f -- "$tmp"' EXIT"#,
        ]
        let stdin: Data
        if let single = c.single {
            let tool = c.format == .gz ? "gzip" : c.format == .bz2 ? "bzip2" : "xz"
            lines.append("command -v \(tool) >/dev/null 2>&1 || { echo '\(tool) is not installed on the host' >&2; exit 1; }")
            lines.append("\(tool) -c < \(ShellQuote.quote(single)) > \"$tmp\"")
            stdin = Data()
        } else if c.format == .zip {
            lines.append("command -v zip >/dev/null 2>&1 || { echo 'zip is not installed on the host' >&2; exit 1; }")
            lines.append("cd \(ShellQuote.quote(c.root.isEmpty ? "." : c.root)) && zip -q \"$tmp\" -@ >/dev/null")
            stdin = Data(c.names.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }.joined(separator: "\n").utf8 + [0x0A])
        } else {
            let flag = c.format == .gz ? "z" : c.format == .bz2 ? "j" : c.format == .xz ? "J" : ""
            lines.append("tar -C \(ShellQuote.quote(c.root.isEmpty ? "." : c.root)) -c\(flag)f \"$tmp\" --no-recursion --null -T -")
            stdin = Data(c.names.map { ($0.hasSuffix("/") ? String($0.dropLast()) : $0) + "\0" }.joined().utf8)
        }
        lines += [#"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp" 2>/dev/null || true; fi"#,
                  #"mv -f -- "$tmp" "$dest""#, "trap - EXIT"]
        try await host.runChecked(lines.joined(separator: "\n"), stdin: stdin, failure: "cannot write \(c.destination)")
    }

    /// A member name as unzip's pattern for exactly that name (its wildcards *, ? and [ escaped).
    static func unzipLiteral(_ name: String) -> String {
        var out = ""
        for c in name { if c == "*" || c == "?" || c == "[" || c == "\\" { out += "\\" } ; out.append(c) }
        return out
    }

    /// Ansible's is_archive: a name ending in .tar, .tar.gz/.bz2/.xz, .tgz, .tbz2 or .zip.
    static func isArchiveName(_ path: String) -> Bool {
        (path as NSString).lastPathComponent.range(of: #"\.(tar|tar\.(gz|bz2|xz)|tgz|tbz2|zip)$"#, options: [.regularExpression, .caseInsensitive]) != nil
    }
}
