import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `file`: a path is a file, directory, symlink, hard link, touched file, or absent, with the given
/// mode and ownership (ansible.builtin.file).
public struct FileModule: Module {
    public static let name = "file"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [RequiredIf("state", is: "link", requires: ["src"]), RequiredIf("state", is: "hard", requires: ["src"])])
    public static let documentation = ModuleDocumentation(
        summary: "Manage files, directories, links and their attributes",
        description: "Creates directories (with parents), links and empty files, removes paths, and sets mode, owner and group. Observes the path in one round trip and changes only what differs.",
        examples: """
            - name: Application directory
              file: path=/srv/app state=directory owner=app group=app mode=0750
            - file:
                src: /srv/app/releases/42
                dest: /srv/app/current
                state: link
            - file: path=/tmp/stale state=absent
            """,
        deviations: [
            "SELinux: seuser, serole, setype and selevel change nothing on a host without SELinux (no /sys/fs/selinux/enforce), as in Ansible. With SELinux enabled the context is read with `stat -c %C` and the fields that differ are set with `chcon`; `_default` keeps the current field (Ansible asks the policy with matchpathcon). The enabled path is not tested in Keel's CI (its lab hosts have no SELinux).",
            "unsafe_writes is accepted and ignored (nothing is written through a temporary file here).",
        ])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest", "name"], help: "Path to manage.") var path: String
        @Option("state", choices: FileState.self, help: "What the path should be. Default: what it is now, or 'file'.") var state: FileState?
        @Option("src", .path, help: "Target of a link (state=link or hard).") var src: String?
        @Option("recurse", .bool, default: false, help: "With state=directory, apply mode/owner/group to everything below.") var recurse: Bool
        @Option("force", .bool, default: false, help: "Replace an existing file or directory with the link.") var force: Bool
        @Option("modification_time", .string, help: "For state=touch: 'preserve' keeps the timestamp (idempotent), 'now' (default) updates it.") var modification_time: String?
        @Option("access_time", .string, help: "For state=touch: 'preserve' or 'now'.") var access_time: String?
        @Option("follow", .bool, default: true, help: "When path is a symbolic link to something, manage what it points to (state file, directory or touch, or no state), as Ansible; no: state=file refuses a link.") var follow: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?
        var attributes: FileAttributes { FileAttributes(mode: mode, owner: owner, group: group) }
        @Option(SecurityContextOptions.seuser) var seuser: String?
        @Option(SecurityContextOptions.serole) var serole: String?
        @Option(SecurityContextOptions.setype) var setype: String?
        @Option(SecurityContextOptions.selevel) var selevel: String?
        @Option(SecurityContextOptions.unsafeWrites) var unsafe_writes: Bool
        var securityContext: SecurityContextOptions { SecurityContextOptions(seuser: seuser, serole: serole, setype: setype, selevel: selevel) }

        public init() {}
    }

    /// What the path should be. A special file (socket, fifo, device) is none of them: without a state, only its attributes are managed.
    public enum FileState: String, OptionChoice {
        case absent, directory, file, hard, link, touch

        /// The state a path already has (`file` when it does not exist yet); nil for a special file.
        init?(current kind: RemotePath.Kind) {
            switch kind {
            case .absent, .file: self = .file
            case .directory: self = .directory
            case .link: self = .link
            case .other: return nil
            }
        }
    }

    public struct State: Equatable, Sendable {
        var path: RemotePath
        /// The link's target when path is a symbolic link that `follow` resolved (what is managed instead).
        var followed: String? = nil
        /// For state=hard: whether path and src are the same inode. For recurse: whether anything below differs.
        var sameInodeAsSource: Bool
        var childrenDiffer: Bool
        /// The path's SELinux context ("" when it has none yet), observed only when the task asks for one
        /// and the host has SELinux; nil otherwise (the options then change nothing, as in Ansible).
        var securityContext: String? = nil
    }

    public enum Action: Sendable, Equatable, Codable {
        case remove
        case makeDirectory
        case link(source: String, hard: Bool, replace: Bool)
        case touch(createOnly: Bool)
        case attribute(AttributeChange, recursive: Bool)
        /// `chcon` with these flags (-u/-r/-t/-l and their values, already quoted).
        case securityContext([String])
    }

    /// One action on the task's path, with the flags that shape its command.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var path: String
        var action: Action
        /// touch leaves the modification time alone (modification_time: preserve).
        var preserveModificationTime = false
        /// Ownership changes apply to the link itself (state: link).
        var onLink = false

        public var description: String {
            switch action {
            case .remove: return "remove \(path)"
            case .makeDirectory: return "make directory \(path)"
            case .link(let source, let hard, let replace): return "\(replace ? "replace" : "make") \(path) as a \(hard ? "hard" : "symbolic") link to \(source)"
            case .touch: return "touch \(path)"
            case .attribute(let change, let recursive): return "set \(change.diffLine) on \(path)\(recursive ? " recursively" : "")"
            case .securityContext(let flags): return "set SELinux context \(flags.joined(separator: " ")) on \(path)"
            }
        }
    }

    public init() {}

    /// Whether a symbolic link at path stands for its target (Ansible's follow, for these states).
    func follows(_ a: Arguments) -> Bool {
        a.follow && (a.state == nil || a.state == .file || a.state == .directory || a.state == .touch)
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var script: String
        // Followed: resolved on the host in the same round trip; the target is observed instead of the link.
        script = PathObservation(follows(a) ? .following(a.path) : .path(a.path), checksum: false, contentLimit: 0).script
        if a.state == .hard, let src = a.src {
            script += "\n[ -e \(ShellQuote.quote(src)) ] && [ \"$(stat -c %d:%i -- \(ShellQuote.quote(src)))\" = \"$(stat -c %d:%i -- \"$p\" 2>/dev/null)\" ] && echo KEEL_SAME_INODE"
        }
        if a.recurse, a.state == .directory || a.state == nil {
            script += "\n" + recursiveMismatchProbe(a)
        }
        if !a.securityContext.isEmpty { script += "\n" + SecurityContextOptions.probe }
        let result = try await host.run(script)
        guard result.status == 0 || !result.stdout.isEmpty else {
            throw KeelError("\(host.name): cannot inspect \(a.path): \(result.stderrText)")
        }
        var text = result.stdout
        let securityContext = SecurityContextOptions.extract(from: &text)
        let same = removeMarker("KEEL_SAME_INODE", from: &text)
        let differ = removeMarker("KEEL_CHILD_DIFFERS", from: &text)
        var followed: String?
        let marker = Data("KEEL_FOLLOWED ".utf8)
        if text.starts(with: marker), let end = text.firstIndex(of: UInt8(ascii: "\n")) {
            followed = String(decoding: text[text.startIndex + marker.count..<end], as: UTF8.self)
            text = Data(text[text.index(after: end)...])
        }
        return State(path: try RemotePath.parse(text), followed: followed, sameInodeAsSource: same, childrenDiffer: differ, securityContext: securityContext)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let current = observed.path
        let path = observed.followed ?? a.path
        let state = a.state ?? FileState(current: current.kind)
        var steps: [Action] = []
        var defaultMode = 0o644
        switch state {
        case .absent:
            if current.kind != .absent { steps.append(.remove) }
            return plan(steps, a, path, current, state: .absent, attributes: [])
        case .directory:
            defaultMode = 0o755
            if current.kind == .absent { steps.append(.makeDirectory) }
            else if current.kind != .directory {
                throw KeelError("\(a.path) already exists as a \(current.kind.rawValue), not a directory")
            }
        case .file:
            if current.kind == .link && !a.follow {
                throw KeelError("file (\(a.path)) is link, cannot continue", expected: "follow: yes to manage what it points to, or state: link")
            }
            if current.kind == .absent {
                throw KeelError("file (\(a.path)) is absent, cannot continue: use state=touch to create an empty file")
            }
            if current.kind == .directory { throw KeelError("\(a.path) is a directory, not a file") }
        case .touch:
            if current.kind == .absent { steps.append(.touch(createOnly: false)) }
            else if a.modification_time != "preserve" || a.access_time == "now" { steps.append(.touch(createOnly: false)) }
        case .link, .hard:
            let source = a.src ?? ""
            let hard = state == .hard
            let right = hard ? observed.sameInodeAsSource : (current.kind == .link && current.linkTarget == source)
            if !right {
                if current.kind == .file || current.kind == .directory, !a.force, !(hard && current.kind == .file) {
                    throw KeelError("refusing to replace the \(current.kind.rawValue) \(a.path) with a link: set force: true")
                }
                steps.append(.link(source: source, hard: hard, replace: current.kind != .absent))
            }
            let attributes = a.attributes.changes(for: steps.isEmpty ? current : RemotePath(kind: .absent), defaultMode: 0o777)
                .filter { if case .mode = $0 { return hard }; return true }   // a symlink's own mode means nothing on Linux
            return plan(steps, a, path, current, state: state, attributes: attributes)
        case nil:
            break   // a special file: only its attributes
        }
        let fresh = steps.contains(.makeDirectory) || (current.kind == .absent)
        var attributes = a.attributes.changes(for: fresh ? RemotePath(kind: .absent) : current, defaultMode: defaultMode)
        if fresh && a.mode == nil { attributes.removeAll { if case .mode = $0 { return true }; return false } }
        if a.recurse && observed.childrenDiffer {
            for change in a.attributes.changes(for: RemotePath(kind: .absent)) where !attributes.contains(change) { attributes.append(change) }
        }
        if let context = observed.securityContext {
            let flags = a.securityContext.chconFlags(current: fresh ? "" : context)
            if !flags.isEmpty { steps.append(.securityContext(flags)) }
        }
        return plan(steps, a, path, current, state: state, attributes: attributes)
    }

    /// `path` is what is managed: the task's path, or the target `follow` resolved it to.
    private func plan(_ steps: [Action], _ a: Arguments, _ path: String, _ current: RemotePath, state: FileState?,
                      attributes: [AttributeChange]) -> Plan<Step> {
        let stateName = state?.rawValue ?? current.kind.rawValue
        var actions = steps
        actions += attributes.map { .attribute($0, recursive: a.recurse && state == .directory) }
        let all = actions.map { Step(path: path, action: $0, preserveModificationTime: a.modification_time == "preserve", onLink: a.state == .link) }
        let values: OrderedDictionary<String, Value> = ["path": .string(path), "state": .string(stateName)]
        guard !all.isEmpty else { return .unchanged(values: values) }
        var before = "path: \(path)\nstate: \(current.kind == .link ? "link" : current.kind.rawValue)\n"
        if current.kind != .absent { before += "mode: \(RemotePath.octal(current.mode))\nowner: \(current.owner)\ngroup: \(current.group)\n" }
        if let target = current.linkTarget { before += "src: \(target)\n" }
        var after = "path: \(path)\nstate: \(stateName)\n"
        if state != .absent {
            let changed = Dictionary(uniqueKeysWithValues: attributes.map { ($0.diffLine.split(separator: ":")[0], $0.diffLine) })
            for key in ["mode", "owner", "group"] {
                if let line = changed[Substring(key)] { after += line + "\n" }
                else if current.kind != .absent {
                    after += key == "mode" ? "mode: \(RemotePath.octal(current.mode))\n" : key == "owner" ? "owner: \(current.owner)\n" : "group: \(current.group)\n"
                }
            }
            if let src = a.src, state == .link || state == .hard { after += "src: \(src)\n" }
        }
        return Plan(steps: all, diffs: [Diff(label: path, before: before, after: after)], values: values)
    }

    /// `d=$(dirname -- "$d")` with parameter expansions only (trailing slashes, `/`, a relative name
    /// give what dirname gives): the walk up to the first existing parent starts no program per level.
    static let parentOfD = #"while [ "$d" != / ] && [ "${d%/}" != "$d" ]; do d=${d%/}; done; "#
        + #"case $d in /) ;; */*) d=${d%/*}; while [ "$d" != / ] && [ "${d%/}" != "$d" ]; do d=${d%/}; done; d=${d:-/};; *) d=.;; esac"#

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var script = ["set -e"]
        // Like Ansible, every directory this task creates (parents included) gets the requested mode
        // and ownership, not only the last one: the missing ones are collected, outermost first, in "$@".
        let makesDirectories = plan.steps.contains { $0.action == .makeDirectory }
        // When only the directory itself is missing (the usual case), `mkdir -m` gives it the mode as it
        // makes it: one program, not two. The same result as mkdir then chmod, checked on every umask,
        // under a setgid parent (whose bit both keep) and a default ACL.
        let mode = plan.steps.lazy.compactMap { if case .attribute(.mode(let bits), _) = $0.action { bits } else { nil } }.first
        for step in plan.steps {
            let p = ShellQuote.quote(step.path)
            switch step.action {
            case .remove: script.append("rm -rf -- \(p)")
            case .makeDirectory:
                let makeOne = mode.map { "mkdir -m \(String($0, radix: 8)) -- \(p)" } ?? "mkdir -p -- \(p)"
                script.append("""
                    set --; d=\(p)
                    while [ ! -e "$d" ] && [ ! -L "$d" ]; do set -- "$d" "$@"; \(Self.parentOfD); done
                    if [ $# = 1 ]; then \(makeOne); else mkdir -p -- \(p); fi
                    """)
            case .attribute(let change, _) where makesDirectories:
                // For all made at once; the mode only when mkdir -m did not already give it.
                let all = #"[ $# = 0 ] || "# + change.command(forShellWord: #""$@""#)
                if case .mode = change { script.append("[ $# = 1 ] || \(all)") } else { script.append(all) }
            case .link(let source, let hard, let replace):
                if replace { script.append("rm -rf -- \(p)") }
                script.append("ln \(hard ? "" : "-s ")-- \(ShellQuote.quote(source)) \(p)")
            case .touch:
                var flags = ""
                if step.preserveModificationTime { flags += " -a" }
                script.append("touch\(flags) -- \(p)")
            case .attribute(let change, let recursive):
                script.append(change.command(for: step.path, recursive: recursive, link: step.onLink))
            case .securityContext(let flags):
                script.append("chcon \(step.onLink ? "-h " : "")\(flags.joined(separator: " ")) -- \(p)")
            }
        }
        try await host.runChecked(script.joined(separator: "\n"), failure: "file \(plan.steps.first?.path ?? "")")
        return .changed()
    }

    /// Prints KEEL_CHILD_DIFFERS when any path below differs from the wanted mode/owner/group.
    private func recursiveMismatchProbe(_ a: Arguments) -> String {
        var tests: [String] = []
        if let owner = a.owner { tests.append(Int(owner) != nil ? "! -uid \(owner)" : "! -user \(ShellQuote.quote(owner))") }
        if let group = a.group { tests.append(Int(group) != nil ? "! -gid \(group)" : "! -group \(ShellQuote.quote(group))") }
        if case .string(let m)? = a.mode, case .octal(let bits)? = FileMode.parse(m) { tests.append("! -perm \(String(bits, radix: 8))") }
        if case .int(let bits)? = a.mode { tests.append("! -perm \(String(bits & 0o7777, radix: 8))") }
        guard !tests.isEmpty else { return "" }
        return "[ -d \"$p\" ] && [ -n \"$(find \"$p\" -mindepth 1 \\( \(tests.joined(separator: " -o ")) \\) -print -quit 2>/dev/null)\" ] && echo KEEL_CHILD_DIFFERS; true"
    }

    private func removeMarker(_ marker: String, from data: inout Data) -> Bool {
        guard let range = data.range(of: Data((marker + "\n").utf8)) else { return false }
        data.removeSubrange(range)
        return true
    }
}
