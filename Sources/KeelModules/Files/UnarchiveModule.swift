import Foundation
import KeelBase
import KeelVault
import KeelTransport
import OrderedCollections

/// `unarchive`: an archive (tar: plain, gzip, bzip2, xz, zstd; zip) from the controller, or already on
/// the host with remote_src, unpacked into an existing directory on the host (ansible.builtin.unarchive).
///
/// Idempotence, as Ansible decides it: the archive's listing (read with tar or zipinfo on the controller,
/// or on the host for remote_src: path, kind, size, modification time) is compared with the destination (one round trip: the
/// paths go to the host on stdin, GNU stat answers for each). The archive is sent and extracted only
/// when an entry is missing, has another size or modification time (extraction restores the archive's
/// times, so after it they match), is of another kind, or lacks the wanted mode/owner/group. Files the
/// archive does not hold are never looked at. Extraction streams the archive into `tar -x` on the
/// host (zip goes to a temporary file for unzip, which must be installed there).
public struct UnarchiveModule: Module {
    public static let name = "unarchive"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["copy", "remote_src"]]).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Unpack an archive from the controller into a directory on the host",
        description: """
            Reads the archive's listing on the controller (on the host with remote_src), compares it with dest in one round trip (kind, size and \
            modification time of every entry, plus mode/owner/group when given) and extracts only when something \
            differs, streaming the archive into tar on the host (remote_src: tar or unzip reads it there). zip archives need unzip on the host. \
            mode/owner/group are applied to every extracted entry (not to symbolic links).
            """,
        examples: """
            - unarchive:
                src: app-1.4.2.tar.gz
                dest: /srv/app/releases/1.4.2
                extra_opts: [--strip-components=1]
                owner: app
                group: app
            - unarchive: src=site.zip dest=/var/www list_files=yes
              register: unpacked
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "URLs as src are not supported.",
            "include, io_buffer_size, decrypt and validate_certs are not supported.",
            "With extra_opts that rename paths (--strip-components, --transform) the listing no longer names what lands in dest: such tasks report changed on every run; use creates.",
            "zip entries without an extended timestamp carry local time; the controller and the host are assumed to agree on UTC for them.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("src", .path, required: true, help: "The archive on the controller: relative paths are looked up in the role's files/ and the playbook's directory.") var src: String
        @Option("dest", .path, required: true, help: "An existing directory on the host to unpack into.") var dest: String
        @Option("remote_src", .bool, default: false, help: "src is an archive already on the host (listed and unpacked there with its tar or unzip).") var remote_src: Bool
        @Option("copy", .bool, help: "The older, inverted remote_src that Ansible still takes (copy: no is remote_src: yes).") var copy: Bool?
        /// The archive is on the host: remote_src, or its older spelling copy: no.
        var remote: Bool { remote_src || copy == false }
        @Option("creates", .path, help: "Skip when this path exists on the host.") var creates: String?
        @Option("list_files", .bool, default: false, help: "Return the archive's entries as `files`.") var list_files: Bool
        @Option("extra_opts", .list(.string), default: .list([]), help: "More options for tar -x (or unzip), e.g. ['--strip-components=1'].") var extra_opts: [String]
        @Option("keep_newer", .bool, default: false, help: "Do not replace files on the host that are newer than the archive's.") var keep_newer: Bool
        @Option("exclude", .list(.string), default: .list([]), help: "Entries (shell patterns, as tar --exclude takes them) not to unpack nor compare.") var exclude: [String]
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    /// One entry as the host has it.
    public struct Observed: Sendable, Equatable {
        var kind: Character   // f, d, l, o(ther), a(bsent)
        var size: Int
        var mtime: Int
        var path: RemotePath
        var linkTarget: String
    }

    public struct State: Sendable, Equatable {
        var archive: String
        var listing: ArchiveListing
        var skipped: String?
        var destinationMissing: Bool
        var observed: [Observed]
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var archive: String
        /// The archive as the task named it, for messages.
        var src: String
        var format: ArchiveListing.Format
        var paths: [String]
        /// The archive is on the host already (remote_src).
        var remote: Bool
        var dest: String
        var extraOptions: [String]
        var exclude: [String]
        var keepNewer: Bool
        /// Attributes set on every unpacked path afterwards (a mode as chmod takes it).
        var mode: String?
        var owner: String?
        var group: String?

        public var description: String {
            "unpack \(archive) (\(format.rawValue)\(remote ? ", on the host" : "")) into \(dest): \(paths.count) path(s)"
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let archive: String
        var listing: ArchiveListing
        if a.remote {
            archive = a.src
            listing = try await ArchiveListing.readRemote(a.src, on: host)
        } else {
            guard let stored = host.files.find(a.src, kind: "files") else {
                throw KeelError("could not find the archive '\(a.src)'",
                                expected: "a file in " + (host.files.searchPaths.map { $0 + "/files" } + ["the playbook's directory"]).joined(separator: ", "),
                                found: "nothing")
            }
            // A vaulted archive is unpacked from its decrypted copy, as Ansible decrypts src on the controller.
            let local = try VaultedFile.plaintextPath(stored)
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: local))
            let head = try handle.read(upToCount: 512) ?? Data()
            try handle.close()
            archive = local
            listing = try ArchiveListing.read(local, data: head)
        }
        if !a.exclude.isEmpty {
            listing.entries.removeAll { Self.isExcluded($0.path, by: a.exclude) }
        }
        var script = "d=\(ShellQuote.quote(a.dest))\n"
        if let creates = a.creates { script += "for f in \(CommandModule.globbable(creates)); do [ -e \"$f\" ] && { echo KEEL_CREATES; exit 0; }; done\n" }
        script += """
            [ -d "$d" ] || { echo KEEL_NO_DEST; exit 0; }
            cd "$d" || exit 1
            echo KEEL_OK
            while IFS= read -r p; do
              if [ -L "$p" ]; then printf 'l|%s|%s\\n' "$(stat -c '%s|%Y|%a|%U|%G|%u|%g' -- "$p")" "$(readlink -- "$p")"
              elif [ -d "$p" ]; then printf 'd|%s|\\n' "$(stat -c '%s|%Y|%a|%U|%G|%u|%g' -- "$p")"
              elif [ -f "$p" ]; then printf 'f|%s|\\n' "$(stat -c '%s|%Y|%a|%U|%G|%u|%g' -- "$p")"
              elif [ -e "$p" ]; then echo 'o|0|0|0|||0|0|'
              else echo 'a|0|0|0|||0|0|'; fi
            done
            """
        let paths = listing.entries.map(\.path).joined(separator: "\n") + "\n"
        let result = try await host.runChecked(script, stdin: Data(paths.utf8), failure: "cannot inspect \(a.dest)")
        var lines = result.stdoutText.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let first = lines.isEmpty ? "" : lines.removeFirst()
        var state = State(archive: archive, listing: listing, skipped: nil, destinationMissing: false, observed: [])
        switch first {
        case "KEEL_CREATES": state.skipped = "skipped, since \(a.creates ?? "") exists"; return state
        case "KEEL_NO_DEST": state.destinationMissing = true; return state
        case "KEEL_OK": break
        default: throw KeelError("\(host.name): unexpected answer inspecting \(a.dest): \(first)")
        }
        for line in lines.prefix(listing.entries.count) {
            let fields = line.split(separator: "|", maxSplits: 8, omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 9, let kind = fields[0].first else { throw KeelError("\(host.name): unexpected stat line: \(line)") }
            let path = RemotePath(kind: kind == "d" ? .directory : kind == "a" ? .absent : .file, mode: Int(fields[3], radix: 8) ?? 0,
                                  owner: fields[4], group: fields[5], uid: Int(fields[6]) ?? -1, gid: Int(fields[7]) ?? -1)
            state.observed.append(Observed(kind: kind, size: Int(fields[1]) ?? 0, mtime: Int(fields[2]) ?? 0, path: path, linkTarget: fields[8]))
        }
        guard state.observed.count == listing.entries.count else { throw KeelError("\(host.name): incomplete inspection of \(a.dest)") }
        return state
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["dest": .string(a.dest), "src": .string(a.src)]
        if a.list_files { values["files"] = .list(observed.listing.entries.map { .string($0.path) }) }
        if let skipped = observed.skipped {
            values["msg"] = .string(skipped)
            return .unchanged(values: values)
        }
        if observed.destinationMissing {
            throw KeelError("dest '\(a.dest)' must be an existing directory", expected: "a directory (make it with the file module first)")
        }
        let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
        var differing: [String] = []
        for (entry, current) in zip(observed.listing.entries, observed.observed) where !matches(entry, current, attributes, keepNewer: a.keep_newer) {
            differing.append(entry.path)
        }
        guard !differing.isEmpty else { return .unchanged(values: values) }
        let diff = Diff(label: a.dest, before: "", after: differing.map { "unpacked: \($0)\n" }.joined())
        return Plan(steps: [Step(archive: observed.archive, src: a.src, format: observed.listing.format,
                                 paths: observed.listing.entries.filter { if case .symlink = $0.kind { return false }; return true }.map(\.path),
                                 remote: a.remote, dest: a.dest, extraOptions: a.extra_opts, exclude: a.exclude,
                                 keepNewer: a.keep_newer, mode: a.mode.map(Self.modeText), owner: a.owner, group: a.group)],
                    diffs: [diff], values: values)
    }

    func matches(_ entry: ArchiveListing.Entry, _ current: Observed, _ attributes: FileAttributes, keepNewer: Bool) -> Bool {
        switch entry.kind {
        case .symlink(let target):
            return current.kind == "l" && (target.isEmpty || current.linkTarget == target)
        case .directory:
            guard current.kind == "d" else { return false }
        case .file, .hardlink:
            guard current.kind == "f" else { return false }
            if keepNewer, current.mtime > entry.mtime { return true }
            guard current.size == entry.size, current.mtime == entry.mtime else { return false }
        }
        return attributes.changes(for: current.path).isEmpty
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let step = plan.steps[0], a = step
        let dest = ShellQuote.quote(a.dest)
        var options = a.extraOptions.map(ShellQuote.quote).joined(separator: " ")
        // unzip takes exclusions after the archive (-x list) and anchors them: spell out tar's "any part
        // of the name, and everything below" for it.
        var zipExclusions = ""
        if !a.exclude.isEmpty {
            if step.format == .zip {
                zipExclusions = " -x " + a.exclude.flatMap { [$0, "*/" + $0, $0 + "/*", "*/" + $0 + "/*"] }.map(ShellQuote.quote).joined(separator: " ")
            } else {
                options += a.exclude.map { " --exclude=" + ShellQuote.quote($0) }.joined()
            }
        }
        let keepNewer = a.keepNewer ? " --keep-newer-files" : ""
        let unzip = #"command -v unzip >/dev/null 2>&1 || { echo "unzip is not installed on the host" >&2; exit 126; }"#
        let script: String
        var data: Data?
        if step.remote {
            let archive = ShellQuote.quote(step.archive)
            script = step.format == .zip ? "\(unzip)\nexec unzip -o -q \(options) \(archive)\(zipExclusions) -d \(dest)"
                                         : "exec tar -x -f \(archive) -C \(dest)\(keepNewer) \(options)"
        } else {
            guard let bytes = FileManager.default.contents(atPath: step.archive) else { throw KeelError("cannot read \(step.archive)") }
            data = bytes
            // The archive is received whole and verified before anything is unpacked: tar reading a transfer
            // cut short would have replaced files with the parts it got (AtomicReplacement's check).
            let verify = AtomicReplacement.verification(of: bytes, in: #""$t""#).joined(separator: "\n")
            if step.format == .zip {
                script = """
                    \(unzip)
                    t=$(mktemp) || exit 1
                    trap 'rm -f -- "$t"' EXIT
                    \(AtomicReplacement.signalsExit)
                    cat > "$t" || exit 1
                    \(verify)
                    unzip -o -q \(options) "$t"\(zipExclusions) -d \(dest)
                    """
            } else {
                let flag = ["gzip": "-z", "bzip2": "-j", "xz": "-J", "zstd": "--zstd", "tar": ""][step.format.rawValue] ?? ""
                // Next to what it becomes (as much room as the extraction needs), not in a small /tmp.
                script = """
                    t=$(mktemp -p \(dest) .keel-tmp.XXXXXXXX) || exit 1
                    trap 'rm -f -- "$t"' EXIT
                    \(AtomicReplacement.signalsExit)
                    cat > "$t" || exit 1
                    \(verify)
                    tar -x \(flag) -f "$t" -C \(dest)\(keepNewer) \(options)
                    """
            }
        }
        try await host.runChecked(script, stdin: data, failure: "cannot unpack \(a.src) into \(a.dest)")
        if a.mode != nil || a.owner != nil || a.group != nil {
            var commands = ["set -e", "cd \(dest)"]
            for path in step.paths {
                let p = ShellQuote.quote(path)
                if let owner = a.owner { commands.append("chown \(ShellQuote.quote(owner)) -- \(p)") }
                if let group = a.group { commands.append("chgrp \(ShellQuote.quote(group)) -- \(p)") }
                if let mode = a.mode { commands.append("chmod \(ShellQuote.quote(mode)) -- \(p)") }
            }
            try await host.runChecked(commands.joined(separator: "\n"), failure: "cannot set attributes in \(a.dest)")
        }
        return .changed()
    }

    /// tar's --exclude rule: a pattern matches the name or any part of it after a '/', and excluding
    /// a directory excludes everything below it.
    static func isExcluded(_ path: String, by patterns: [String]) -> Bool {
        let components = path.split(separator: "/").map(String.init)
        for end in 1...max(components.count, 1) {
            let prefix = components.prefix(end)
            for start in 0..<prefix.count {
                let tail = prefix[start...].joined(separator: "/")
                if patterns.contains(where: { fnmatch($0, tail, 0) == 0 }) { return true }
            }
        }
        return false
    }

    /// The mode as chmod takes it: octal digits, or the symbolic text as written.
    static func modeText(_ mode: Value) -> String {
        switch mode {
        case .int(let i): return String(i & 0o7777, radix: 8)
        case .string(let s): return s
        default: return "\(mode)"
        }
    }
}
