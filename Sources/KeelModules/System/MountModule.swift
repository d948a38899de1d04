import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `mount`: an fstab entry and the live mount of a path (ansible.posix.mount). The fstab file, the
/// live mount (from /proc/self/mounts, no findmnt needed) and the mount point are read in one round trip.
public struct MountModule: Module {
    public static let name = "mount"
    public static let aliases = ["ansible.posix.mount"]
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [RequiredIf("state", is: "mounted", requires: ["src", "fstype"]), RequiredIf("state", is: "present", requires: ["src", "fstype"]),
                   RequiredIf("state", is: "ephemeral", requires: ["src", "fstype"])])
    public static let documentation = ModuleDocumentation(
        summary: "Manage fstab entries and mounts",
        description: """
            Keeps one line `SRC PATH FSTYPE OPTS DUMP PASSNO` for the mount point in fstab (replacing a different one in \
            place, written atomically) and mounts, unmounts or remounts as the state asks. A mounted filesystem whose \
            source or type differs from the entry is unmounted and mounted again; one whose options changed is remounted \
            (`mount -o remount,OPTS`).
            """,
        examples: """
            - name: Scratch space in memory
              mount:
                path: /srv/scratch
                src: tmpfs
                fstype: tmpfs
                opts: size=64m,mode=1777
                state: mounted
            - mount: path=/mnt/backup src=UUID=0a1b-2c3d fstype=ext4 opts=noatime state=present
            - mount: path=/mnt/old state=absent
            """,
        deviations: ["Options of a live mount are not compared with `opts` (the kernel adds its own): only an fstab change triggers a remount.",
                     "Bind mounts and swap entries get no special handling."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["name"], format: .singleLine, help: "The mount point.") var path: String
        @Option("src", .string, format: .word, help: "The device, label (LABEL=...), UUID=..., remote share or `tmpfs`. Required for present and mounted.") var src: String?
        @Option("fstype", .string, format: .word, help: "Filesystem type (ext4, xfs, nfs, tmpfs, ...). Required for present and mounted.") var fstype: String?
        @Option("opts", .string, format: .word, help: "Mount options (default `defaults`).") var opts: String?
        @Option("dump", .string, default: "0", format: .word, help: "fstab's dump field.") var dump: String
        @Option("passno", .string, default: "0", format: .word, help: "fstab's fsck order field.") var passno: String
        @Option("state", choices: MountState.self, required: true, help: "`present`: only the fstab entry; `mounted`: entry and mounted; `unmounted`: not mounted (entry kept); `absent`: no entry, not mounted, empty mount point removed; `absent_from_fstab`: only the entry removed; `remounted`: remount now (always changes); `ephemeral`: mounted without touching fstab.") var state: MountState
        @Option("fstab", .path, default: "/etc/fstab", help: "The fstab file to edit.") var fstab: String
        @Option("boot", .bool, default: true, help: "false adds `noauto` to the options, so the entry is not mounted at boot.") var boot: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of fstab before changing it.") var backup: Bool
        var options: String {
            var o = opts ?? "defaults"
            if !boot && !o.split(separator: ",").contains("noauto") { o += ",noauto" }
            return o
        }
        var line: String { "\(src ?? "") \(MountModule.escape(path)) \(fstype ?? "") \(options) \(dump) \(passno)" }

        public init() {}
    }

    public enum MountState: String, OptionChoice { case absent, absentFromFstab = "absent_from_fstab", mounted, present, unmounted, remounted, ephemeral }

    public struct Live: Equatable, Sendable { var src: String, fstype: String, opts: String }

    public struct State: Equatable, Sendable {
        var fstab: String?
        var live: Live?
        var mountPointExists: Bool
    }

    public enum Action: Sendable, Equatable, Codable { case writeFstab(String), makeMountPoint, mount, unmount, remount, removeMountPoint }

    /// One change to the mount at `path`, with the entry's data the command needs.
    public struct Step: Sendable, Equatable, Codable, CustomStringConvertible {
        var action: Action
        var path: String
        var src: String?
        var fstype: String?
        var options: String
        var fstab: String
        var backup: Bool

        public var description: String {
            switch action {
            case .writeFstab: return "write \(fstab)"
            case .makeMountPoint: return "make the mount point \(path)"
            case .mount: return "mount \(src ?? "") on \(path) (\(fstype ?? "auto"), \(options))"
            case .unmount: return "unmount \(path)"
            case .remount: return "remount \(path)"
            case .removeMountPoint: return "remove the mount point \(path)"
            }
        }
    }

    public init() {}

    /// fstab and /proc/self/mounts write spaces and tabs in paths as octal escapes.
    static func escape(_ path: String) -> String { path.replacingOccurrences(of: " ", with: "\\040").replacingOccurrences(of: "\t", with: "\\011") }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            p=\(ShellQuote.quote(Self.escape(a.path)))
            awk -v p="$p" '$2 == p { print "live=" $1 "|" $3 "|" $4 }' /proc/self/mounts | tail -n 1
            [ -d \(ShellQuote.quote(a.path)) ] && echo exists=1
            f=\(ShellQuote.quote(a.fstab))
            if [ -f "$f" ]; then echo KEEL_FSTAB; cat -- "$f"; fi
            true
            """
        let result = try await host.run(script)
        let text = result.stdoutText
        let head: Substring, fstab: String?
        if let marker = text.range(of: "KEEL_FSTAB\n") { head = text[..<marker.lowerBound]; fstab = String(text[marker.upperBound...]) }
        else { head = text[...]; fstab = nil }
        let f = AccountDatabase.fields(String(head))
        let live = f["live"]?.first.map { line -> Live in
            let parts = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            return Live(src: parts[0], fstype: parts.count > 1 ? parts[1] : "", opts: parts.count > 2 ? parts[2] : "")
        }
        return State(fstab: fstab, live: live, mountPointExists: f["exists"] != nil)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let before = observed.fstab ?? ""
        var lines = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        func isEntry(_ line: String) -> Bool {
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            return !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") && fields.count >= 2 && String(fields[1]) == Self.escape(a.path)
        }
        var steps: [Action] = []
        let existing = lines.firstIndex(where: isEntry)
        var entryChanged = false
        switch a.state {
        case .present, .mounted:
            if let existing {
                let normalized = lines[existing].split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
                if normalized != a.line { lines[existing] = a.line; entryChanged = true }
            } else {
                lines.append(a.line)
                entryChanged = true
            }
        case .absent, .absentFromFstab:
            lines.removeAll(where: isEntry)
        case .unmounted, .remounted, .ephemeral: break
        }
        let after = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        var diffs: [Diff] = []
        if after != before && !(observed.fstab == nil && after.isEmpty) {
            steps.append(.writeFstab(after))
            diffs.append(Diff(label: a.fstab, before: before, after: after))
        }
        let live = observed.live
        func liveText(_ mounted: Bool, _ src: String?, _ type: String?) -> String {
            mounted ? "\(a.path): mounted (\(src ?? "") \(type ?? ""))\n" : "\(a.path): not mounted\n"
        }
        var mountedAfter = live != nil
        switch a.state {
        case .mounted, .ephemeral:
            if let live {
                if live.src != a.src || live.fstype != a.fstype { steps += [.unmount, .mount] }
                else if entryChanged { steps.append(.remount) }
            } else {
                if !observed.mountPointExists { steps.append(.makeMountPoint) }
                steps.append(.mount)
            }
            mountedAfter = true
        case .unmounted:
            if live != nil { steps.append(.unmount); mountedAfter = false }
        case .absent:
            if live != nil { steps.append(.unmount); mountedAfter = false }
            if observed.mountPointExists { steps.append(.removeMountPoint) }
        case .remounted:
            guard live != nil else {
                throw KeelError("\(host.name): mount: \(a.path) is not mounted, so it cannot be remounted", expected: "a mounted path", found: "nothing mounted")
            }
            steps.append(.remount)
        case .present, .absentFromFstab: break
        }
        if steps.contains(where: { [.mount, .unmount, .remount].contains($0) }) {
            diffs.append(Diff(label: "\(a.path) (mount)", before: liveText(live != nil, live?.src, live?.fstype),
                              after: liveText(mountedAfter, a.src ?? live?.src, a.fstype ?? live?.fstype)))
        }
        let values: OrderedDictionary<String, Value> = ["name": .string(a.path), "src": a.src.map(Value.string) ?? .null, "fstype": a.fstype.map(Value.string) ?? .null,
                                                        "opts": .string(a.options), "fstab": .string(a.fstab), "state": .string(a.state.rawValue)]
        if steps.isEmpty { return .unchanged(values: values) }
        return Plan(steps: steps.map { Step(action: $0, path: a.path, src: a.src, fstype: a.fstype, options: a.options, fstab: a.fstab, backup: a.backup) },
                    diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var values: OrderedDictionary<String, Value> = [:]
        for step in plan.steps {
            let a = step, p = ShellQuote.quote(a.path)
            let command: String
            switch step.action {
            case .writeFstab(let content):
                if let backup = try await FileWrite(destination: a.fstab, content: Data(content.utf8), backup: a.backup).perform(on: host) {
                    values["backup_file"] = .string(backup)
                }
                continue
            case .makeMountPoint: command = "mkdir -p -- \(p)"
            case .mount: command = "mount -t \(ShellQuote.quote(a.fstype ?? "auto")) -o \(ShellQuote.quote(a.options)) -- \(ShellQuote.quote(a.src ?? "")) \(p)"
            case .unmount: command = "umount -- \(p)"
            case .remount:
                let options = ["remount"] + a.options.split(separator: ",").map(String.init).filter { $0 != "defaults" && $0 != "noauto" }
                command = "mount -o \(ShellQuote.quote(options.joined(separator: ","))) -- \(p)"
            case .removeMountPoint: command = "rmdir -- \(p) 2>/dev/null || true"
            }
            try await host.runChecked(command, failure: "mount \(a.path): `\(command)` failed")
        }
        return .changed(values)
    }
}
