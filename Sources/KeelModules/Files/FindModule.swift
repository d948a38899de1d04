import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `find`: lists files by name, type, age, size, mode and content (ansible.builtin.find). One `find -printf`
/// on the host reads every entry's lstat fields in directory order; the filtering, and the order Python's
/// os.walk gives (a directory's files, then its subdirectories, then each subdirectory in turn), happen
/// here. Content (`contains`) and checksums cost a second round trip, for the candidates only.
public struct FindModule: Module {
    public static let name = "find"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Find files by name pattern, type, age, size, mode or content",
        description: """
            Returns `files` (each with path and stat's fields: mode, isdir, isreg, islnk, uid, gid, pw_name, gr_name, \
            size, inode, dev, nlink, atime, mtime, ctime and the permission bits, plus checksum with get_checksum), \
            `matched`, `examined`, `msg` and `skipped_paths`, in the order Ansible's os.walk gives. Never changes anything.
            """,
        examples: """
            - find:
                paths: /var/log
                patterns: "*.gz"
                age: 4w
                recurse: true
              register: old_logs
            - file: path={{ item.path }} state=absent
              loop: "{{ old_logs.files }}"
            """,
        deviations: [
            "`contains` reads the candidate files through the connection and matches with Python's syntax on Foundation's engine; `encoding` other than UTF-8/latin-1 is not supported.",
            "With follow, the fields describe what a link points to (find -L), where Ansible's describe the link.",
        ])

    public enum FileType: String, OptionChoice { case file, directory, link, any }
    public enum AgeStamp: String, OptionChoice { case mtime, atime, ctime }

    public struct Arguments: ModuleArguments {
        @Option("paths", .list(.path), required: true, aliases: ["name", "path"], help: "Directories to search.") var paths: [String]
        @Option("patterns", .list(.string), default: [], aliases: ["pattern"], help: "Base names to match: shell globs, or Python regular expressions with use_regex (matched from the start).") var patterns: [String]
        @Option("excludes", .list(.string), aliases: ["exclude"], help: "Base names to leave out (same syntax as patterns).") var excludes: [String]?
        @Option("contains", .string, help: "A regular expression a line must match (from its start), or the whole file with read_whole_file.") var contains: String?
        @Option("read_whole_file", .bool, default: false, help: "Search contains anywhere in the whole file instead of line by line.") var read_whole_file: Bool
        @Option("file_type", choices: FileType.self, default: .file, help: "What to list.") var file_type: FileType
        @Option("age", .string, help: "Older than this (4w, 3d, 2h, 30m, 10s); negative: younger than.") var age: String?
        @Option("age_stamp", choices: AgeStamp.self, default: .mtime, help: "The time age is compared with.") var age_stamp: AgeStamp
        @Option("size", .string, help: "At least this size (10k, 1m, 2g, bytes without unit); negative: at most.") var size: String?
        @Option("recurse", .bool, default: false, help: "Descend into subdirectories.") var recurse: Bool
        @Option("hidden", .bool, default: false, help: "Include names starting with a dot.") var hidden: Bool
        @Option("follow", .bool, default: false, help: "Follow symbolic links to directories.") var follow: Bool
        @Option("get_checksum", .bool, default: false, help: "Add each regular file's checksum.") var get_checksum: Bool
        @Option("checksum_algorithm", .string, default: "sha1", choices: ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"], aliases: ["checksum", "checksum_algo"], help: "Algorithm of the checksum.") var checksum_algorithm: String
        @Option("use_regex", .bool, default: false, help: "patterns and excludes are regular expressions.") var use_regex: Bool
        @Option("depth", .int, help: "How deep to descend with recurse (1: the directory's own entries).") var depth: Int?
        @Option("mode", .raw, help: "Permissions to match: octal ('0644') or symbolic (u=rw,g=r).") var mode: Value?
        @Option("exact_mode", .bool, default: true, help: "mode must match exactly; false: any of its bits.") var exact_mode: Bool
        @Option("encoding", .string, help: "Encoding of the files contains reads (utf-8, latin-1).") var encoding: String?
        @Option("limit", .int, help: "Stop after this many matches.") var limit: Int?
        public init() {}
    }

    public typealias State = OrderedDictionary<String, Value>
    public typealias Step = Never

    public init() {}

    /// One entry as find printed it.
    struct Entry {
        var type: Character
        var mode: Int
        var uid: Int, gid: Int, size: Int, inode: Int, dev: Int, nlink: Int
        var atime: Double, mtime: Double, ctime: Double
        var depth: Int
        var user: String, group: String
        var path: String
        var name: String { (path as NSString).lastPathComponent }
    }

    static let printFormat = #"%y %m %U %G %s %i %D %n %A@ %T@ %C@ %d\0%u\0%g\0%p\0"#

    public func observe(_ a: Arguments, on host: HostContext) async throws -> OrderedDictionary<String, Value> {
        let age = try a.age.map { try Self.amount($0, units: ["s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800], what: "age") }
        let size = try a.size.map { try Self.amount($0, units: ["b": 1, "k": 1024, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40], what: "size") }
        if let limit = a.limit, limit <= 0 { throw KeelError("limit cannot be \(limit) (use None for unlimited)") }
        if let mode = a.mode, mode.stringValue == nil, !mode.isNull {
            throw KeelError("argument 'mode' is not a string and conversion is not allowed, value is of type \(mode.typeName)")
        }
        let patterns = a.patterns.isEmpty ? [a.use_regex ? ".*" : "*"] : a.patterns
        let matcher = try NameMatcher(patterns: patterns, excludes: a.excludes ?? [], regex: a.use_regex)
        let wantedMode = try a.mode?.stringValue.map { text -> Int in
            if let octal = Int(text, radix: 8) { return octal & 0o7777 }
            guard let parsed = FileMode.parse(text) else { throw KeelError("invalid mode", found: text) }
            return parsed.resolve(current: 0, isDirectory: false)
        }
        // Depth: os.walk still lists the entries one level below the limit (they count as examined).
        let maxDepth = a.recurse ? (a.depth.map { $0 > 0 ? "-maxdepth \($0 + 1) " : "" } ?? "") : "-maxdepth 1 "
        var script = ["date +%s.%N"]
        for path in a.paths {
            let p = ShellQuote.quote(path)
            script.append("if [ -d \(p) ]; then printf 'D\\0%s\\0' \(p); find \(a.follow ? "-L " : "")\(p) -mindepth 1 \(maxDepth)-printf '\(Self.printFormat)' 2>/dev/null; else printf 'N\\0%s\\0' \(p); fi")
        }
        script.append("printf 'E\\0'")
        let output = try await host.run(script.joined(separator: "\n")).stdout
        var fields = output.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        guard !fields.isEmpty, let firstLine = fields.first?.split(separator: "\n").first, let now = Double(firstLine) else {
            throw KeelError("\(host.name): unexpected output of find")
        }
        fields[0] = String(fields[0].drop(while: { $0 != "\n" }).dropFirst())

        var files: [OrderedDictionary<String, Value>] = []
        var candidates: [(index: Int, path: String)] = []
        var skipped: OrderedDictionary<String, Value> = [:]
        var examined = 0
        var message = "All paths examined"
        var warnings: [String] = []
        var i = 0
        while i < fields.count {
            let tag = fields[i]
            if tag == "E" { break }
            let root = i + 1 < fields.count ? fields[i + 1] : ""
            i += 2
            if tag == "N" {
                skipped[root] = .string("'\(root)' is not a directory")
                warnings.append("Skipped '\(root)' path due to this access issue: '\(root)' is not a directory")
                continue
            }
            var entries: [Entry] = []
            while i + 3 < fields.count, !fields[i].isEmpty, fields[i] != "D", fields[i] != "N", fields[i] != "E" {
                if let entry = Self.entry(fields[i], user: fields[i + 1], group: fields[i + 2], path: fields[i + 3]) { entries.append(entry) }
                i += 4
            }
            var limitReached = false
            walk: for group in Self.walkOrder(entries, root: root, follow: a.follow) {
                // os.walk hands over a directory's entries at once: they all count as examined.
                examined += group.count
                for entry in group {
                    if a.recurse, let depth = a.depth, depth > 0, entry.depth > depth { continue }
                    if entry.name.hasPrefix(".") && !a.hidden { continue }
                    if matcher.matches(entry.name), Self.passes(entry, a, age: age, size: size, now: now, mode: wantedMode) {
                        files.append(Self.statInfo(entry))
                        if entry.type == "f" && ((a.file_type == .file && a.contains != nil) || a.get_checksum) {
                            candidates.append((files.count - 1, entry.path))
                        }
                    }
                    // Ansible checks the limit after every entry it looked at, matched or not, then stops this path's walk.
                    if a.contains == nil, let limit = a.limit, files.count == limit {
                        message = "Limit of matches reached"
                        limitReached = true
                        break walk
                    }
                }
                if !a.recurse || limitReached { break }
            }
        }
        if let contains = a.contains, a.file_type == .file {
            let regex = try PythonRegex(a.read_whole_file ? contains : "^(?:\(contains))", option: "contains",
                                        flags: a.read_whole_file ? [] : [])
            let contents = try await Self.read(candidates.map(\.path), on: host)
            var keptIndexes = Set(0..<files.count)
            for (candidate, content) in zip(candidates, contents) {
                let text = a.encoding.map { $0.lowercased().replacingOccurrences(of: "-", with: "") == "latin1" || $0.lowercased() == "iso-8859-1" } == true
                    ? String(data: content, encoding: .isoLatin1) ?? "" : String(decoding: content, as: UTF8.self)
                let found = a.read_whole_file ? regex.matches(text)
                    : Self.lines(text).contains { regex.matches($0) }
                if !found { keptIndexes.remove(candidate.index) }
            }
            files = files.enumerated().filter { keptIndexes.contains($0.offset) }.map(\.element)
            if let limit = a.limit, files.count >= limit { files = Array(files.prefix(limit)); message = "Limit of matches reached" }
        }
        if a.get_checksum {
            let paths = files.compactMap { $0["isreg"] == true ? $0["path"]?.stringValue : nil }
            let sums = try await Self.checksums(paths, algorithm: a.checksum_algorithm, on: host)
            for index in files.indices where files[index]["isreg"] == true {
                if let path = files[index]["path"]?.stringValue, let sum = sums[path] { files[index]["checksum"] = .string(sum) }
            }
        }
        if !warnings.isEmpty { message = "Not all paths examined, check warnings for details" }
        var values: OrderedDictionary<String, Value> = ["files": .list(files.map(Value.dict)), "msg": .string(message),
                                                        "matched": .int(files.count), "examined": .int(examined), "skipped_paths": .dict(skipped)]
        if !warnings.isEmpty { values["warnings"] = .list(warnings.map(Value.string)) }
        return values
    }

    public func plan(_ a: Arguments, observed: OrderedDictionary<String, Value>, on host: HostContext) throws -> Plan<Never> {
        .unchanged(values: observed)
    }

    public func apply(_ plan: Plan<Never>, on host: HostContext) async throws -> Applied { .unchanged() }

    /// Ansible's filters for one entry: age, mode, then type with size.
    static func passes(_ entry: Entry, _ a: Arguments, age: Int?, size: Int?, now: Double, mode wantedMode: Int?) -> Bool {
        if let age {
            let stamp = a.age_stamp == .atime ? entry.atime : a.age_stamp == .ctime ? entry.ctime : entry.mtime
            guard age >= 0 ? now - stamp >= Double(age) : now - stamp <= Double(-age) else { return false }
        }
        if let wantedMode {
            guard a.exact_mode ? entry.mode == wantedMode : entry.mode & wantedMode != 0 else { return false }
        }
        let sizeOK = size.map { $0 >= 0 ? entry.size >= $0 : entry.size <= -$0 } ?? true
        switch a.file_type {
        case .any: return entry.type != "f" || sizeOK
        case .directory: return entry.type == "d"
        case .file: return entry.type == "f" && sizeOK
        case .link: return entry.type == "l"
        }
    }

    /// A file's lines as Python iterates them: each with its newline, no empty line after the last one.
    static func lines(_ text: String) -> [String] {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) + "\n" }
        if text.hasSuffix("\n") || text.isEmpty { lines.removeLast() } else if let last = lines.popLast() { lines.append(String(last.dropLast())) }
        return lines
    }

    /// "4w" -> seconds, "10k" -> bytes: an integer, maybe negative, with an optional unit.
    static func amount(_ text: String, units: [String: Int], what: String) throws -> Int {
        let lower = text.lowercased()
        guard let match = lower.range(of: "^-?[0-9]+[a-z]?$", options: .regularExpression), match == lower.startIndex..<lower.endIndex else {
            throw KeelError("failed to process \(what)", found: text)
        }
        var digits = lower
        var factor = 1
        if let last = lower.last, last.isLetter {
            guard let unit = units[String(last)] else { throw KeelError("failed to process \(what)", found: text) }
            factor = unit
            digits.removeLast()
        }
        guard let n = Int(digits) else { throw KeelError("failed to process \(what)", found: text) }
        return n * factor
    }

    static func entry(_ line: String, user: String, group: String, path: String) -> Entry? {
        let f = line.split(separator: " ").map(String.init)
        guard f.count == 12, let type = f[0].first, let mode = Int(f[1], radix: 8) else { return nil }
        return Entry(type: type, mode: mode, uid: Int(f[2]) ?? -1, gid: Int(f[3]) ?? -1, size: Int(f[4]) ?? 0, inode: Int(f[5]) ?? 0,
                     dev: Int(f[6]) ?? 0, nlink: Int(f[7]) ?? 0, atime: Double(f[8]) ?? 0, mtime: Double(f[9]) ?? 0, ctime: Double(f[10]) ?? 0,
                     depth: Int(f[11]) ?? 0, user: user == f[2] ? "" : user, group: group == f[3] ? "" : group,
                     path: Self.normalized(path))
    }

    /// os.path.normpath for the joined paths os.walk builds (a root given with a trailing slash).
    static func normalized(_ path: String) -> String {
        var p = path
        while p.contains("//") { p = p.replacingOccurrences(of: "//", with: "/") }
        return p
    }

    /// find's pre-order listing rearranged the way os.walk(topdown) reports it: for each directory, its
    /// non-directories then its directories (directory order kept), then each subdirectory's turn.
    /// A link to a directory counts as a directory there but is entered only with follow.
    static func walkOrder(_ entries: [Entry], root: String, follow: Bool) -> [[Entry]] {
        var children: [String: [Entry]] = [:]
        for entry in entries {
            let parent = (entry.path as NSString).deletingLastPathComponent
            children[parent, default: []].append(entry)
        }
        var out: [[Entry]] = []
        func visit(_ directory: String) {
            let list = children[directory] ?? []
            let isDirectory: (Entry) -> Bool = { $0.type == "d" }
            out.append(list.filter { !isDirectory($0) } + list.filter(isDirectory))
            for sub in list where isDirectory(sub) { visit(sub.path) }
        }
        visit(normalized(root.count > 1 && root.hasSuffix("/") ? String(root.dropLast()) : root))
        return out
    }

    /// Ansible's statinfo() fields for one entry.
    static func statInfo(_ e: Entry) -> OrderedDictionary<String, Value> {
        let m = e.mode
        func bit(_ b: Int) -> Value { .bool(m & b != 0) }
        return [
            "path": .string(e.path), "mode": .string(RemotePath.octal(m)),
            "isdir": .bool(e.type == "d"), "ischr": .bool(e.type == "c"), "isblk": .bool(e.type == "b"), "isreg": .bool(e.type == "f"),
            "isfifo": .bool(e.type == "p"), "islnk": .bool(e.type == "l"), "issock": .bool(e.type == "s"),
            "uid": .int(e.uid), "gid": .int(e.gid), "size": .int(e.size), "inode": .int(e.inode), "dev": .int(e.dev), "nlink": .int(e.nlink),
            "atime": .double(e.atime), "mtime": .double(e.mtime), "ctime": .double(e.ctime),
            "gr_name": .string(e.group), "pw_name": .string(e.user),
            "wusr": bit(0o200), "rusr": bit(0o400), "xusr": bit(0o100), "wgrp": bit(0o020), "rgrp": bit(0o040), "xgrp": bit(0o010),
            "woth": bit(0o002), "roth": bit(0o004), "xoth": bit(0o001), "isuid": bit(0o4000), "isgid": bit(0o2000),
        ]
    }

    /// The contents of `paths` in one round trip (each prefixed by its byte count; unreadable: -1).
    static func read(_ paths: [String], on host: HostContext) async throws -> [Data] {
        guard !paths.isEmpty else { return [] }
        let script = paths.map { p in
            "f=\(ShellQuote.quote(p)); if [ -r \"$f\" ]; then n=$(wc -c < \"$f\"); printf '%s\\n' $((n)); cat -- \"$f\"; else echo -1; fi"
        }.joined(separator: "\n")
        let output = try await host.run(script).stdout
        var contents: [Data] = []
        var offset = output.startIndex
        for _ in paths {
            guard let newline = output[offset...].firstIndex(of: 0x0A), let n = Int(String(decoding: output[offset..<newline], as: UTF8.self)) else { break }
            offset = newline + 1
            if n < 0 { contents.append(Data()); continue }
            let end = min(offset + n, output.endIndex)
            contents.append(Data(output[offset..<end]))
            offset = end
        }
        return contents
    }

    /// Checksums by path, one round trip.
    static func checksums(_ paths: [String], algorithm: String, on host: HostContext) async throws -> [String: String] {
        guard !paths.isEmpty else { return [:] }
        let script = paths.map { "s=$(\(algorithm)sum < \(ShellQuote.quote($0)) 2>/dev/null) && printf '%s\\0' \"${s%% *}\" || printf '\\0'" }.joined(separator: "\n")
        let sums = try await host.run(script).stdout.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
        var out: [String: String] = [:]
        for (path, sum) in zip(paths, sums) where !sum.isEmpty { out[path] = sum }
        return out
    }
}

/// find's patterns and excludes: fnmatch globs, or Python regular expressions matched from the start.
struct NameMatcher {
    let patterns: [PythonRegex]
    let excludes: [PythonRegex]

    init(patterns: [String], excludes: [String], regex: Bool) throws {
        func compile(_ p: String, _ option: String) throws -> PythonRegex {
            try PythonRegex(regex ? "^(?:\(p))" : Self.fnmatchRegex(p), option: option)
        }
        self.patterns = try patterns.map { try compile($0, "patterns") }
        self.excludes = try excludes.map { try compile($0, "excludes") }
    }

    /// Ansible's pfilter: some pattern matches, and no exclude does.
    func matches(_ name: String) -> Bool {
        guard patterns.contains(where: { $0.matches(name) }) else { return false }
        return !excludes.contains { $0.matches(name) }
    }

    /// Python's fnmatch.translate: * any run, ? one character, [seq] and [!seq]; the whole name.
    static func fnmatchRegex(_ pattern: String) -> String {
        var out = "^(?s:"
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            let c = chars[i]
            i += 1
            switch c {
            case "*": out += ".*"
            case "?": out += "."
            case "[":
                var j = i
                if j < chars.count && chars[j] == "!" { j += 1 }
                if j < chars.count && chars[j] == "]" { j += 1 }
                while j < chars.count && chars[j] != "]" { j += 1 }
                if j >= chars.count { out += "\\[" } else {
                    var body = String(chars[i..<j]).replacingOccurrences(of: "\\", with: "\\\\")
                    i = j + 1
                    if body.hasPrefix("!") { body = "^" + body.dropFirst() } else if body.hasPrefix("^") { body = "\\" + body }
                    out += "[\(body)]"
                }
            default: out += NSRegularExpression.escapedPattern(for: String(c))
            }
        }
        return out + ")\\z"
    }
}
