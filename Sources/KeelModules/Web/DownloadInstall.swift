import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// Puts a body a `HostHTTPRequest` kept on the host into place: checked against an expected digest,
/// copied next to the destination and renamed over it only when the bytes differ (as copy does, so a
/// reader never sees half a file), then mode/owner/group. Always removes the temporary directory.
public struct DownloadInstall: Sendable, Codable, Equatable {
    public var keptDirectory: String
    public var destination: String
    /// ("sha256", "ab12...") when the download must have that digest.
    public var checksum: [String]?
    public var mode: String?
    public var owner: String?
    public var group: String?
    public var backup: Bool

    public init(keptDirectory: String, destination: String, checksum: [String]? = nil, mode: String? = nil, owner: String? = nil,
                group: String? = nil, backup: Bool = false) {
        self.keptDirectory = keptDirectory
        self.destination = destination
        self.checksum = checksum
        self.mode = mode
        self.owner = owner
        self.group = group
        self.backup = backup
    }

    /// Exit status when the download does not have the expected digest.
    static let mismatchStatus: Int32 = 67

    /// What happened, for the result.
    public struct Outcome: Sendable, Equatable {
        public var replaced: Bool
        public var attributesChanged: Bool
        public var fields: [String: String]
        public var changed: Bool { replaced || attributesChanged }
    }

    func script() -> String {
        var lines = [
            "t=\(ShellQuote.quote(keptDirectory)); src=\"$t/response\"; dest=\(ShellQuote.quote(destination))",
            #"trap 'rm -rf -- "$t"' EXIT"#,
            #"[ -f "$src" ] || { echo "the download is gone from $t" >&2; exit 1; }"#,
        ]
        if let checksum, checksum.count == 2 {
            lines.append("got=$(\(checksum[0])sum < \"$src\") || exit 1; got=${got%% *}")
            lines.append("if [ \"$got\" != \(ShellQuote.quote(checksum[1])) ]; then echo \"actual=$got\"; exit \(Self.mismatchStatus); fi")
        }
        lines += [
            #"s=$(sha1sum < "$src"); echo "checksum_src=${s%% *}""#,
            #"if [ -f "$dest" ]; then d=$(sha1sum < "$dest") && echo "checksum_dest=${d%% *}"; fi"#,
            #"case $dest in */*) dir=${dest%/*}; dir=${dir:-/};; *) dir=.;; esac"#,
            #"[ -d "$dir" ] || { echo "Destination $dir does not exist" >&2; exit 1; }"#,
            #"if [ -f "$dest" ] && cmp -s -- "$src" "$dest"; then :; else"#,
            backup ? #"  if [ -e "$dest" ]; then b="$dest.$$.$(date +%Y-%m-%d@%H:%M:%S~)"; cp -p -- "$dest" "$b" && echo "backup_file=$b"; fi"# : "  :",
            #"  tmp="$dir/.keel-tmp.\#(AtomicReplacement.randomSuffix())""#,
            #"  (set -C; cat -- "$src" > "$tmp") || exit 1"#,
            #"  if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp" 2>/dev/null; fi"#,
            #"  mv -f -- "$tmp" "$dest" || { rm -f -- "$tmp"; exit 1; }"#,
            "  echo replaced",
            "fi",
            #"before=$(stat -c '%a %U %G' -- "$dest")"#,
        ]
        if let mode { lines.append("chmod \(ShellQuote.quote(mode)) -- \"$dest\" || exit 1") }
        if let owner { lines.append("chown \(ShellQuote.quote(owner)) -- \"$dest\" || exit 1") }
        if let group { lines.append("chgrp \(ShellQuote.quote(group)) -- \"$dest\" || exit 1") }
        lines += [
            #"[ "$before" = "$(stat -c '%a %U %G' -- "$dest")" ] || echo attributes"#,
            #"m=$(md5sum < "$dest"); echo "md5sum=${m%% *}""#,
            #"stat --printf 'mode=%a\nowner=%U\ngroup=%G\nuid=%u\ngid=%g\nsize=%s\n' -- "$dest""#,
        ]
        return lines.joined(separator: "\n")
    }

    public func perform(on host: HostContext) async throws -> Outcome {
        let result = try await host.run(script())
        var fields: [String: String] = [:]
        var flags: Set<String> = []
        for line in result.stdoutText.split(separator: "\n") {
            if let eq = line.firstIndex(of: "=") { fields[String(line[..<eq])] = String(line[line.index(after: eq)...]) } else { flags.insert(String(line)) }
        }
        if result.status == Self.mismatchStatus, let checksum {
            throw ModuleFailure(message: "The checksum for \(destination) did not match \(checksum[1]); it was \(fields["actual"] ?? "?").",
                                values: ["dest": .string(destination)], changed: false)
        }
        guard result.status == 0 else {
            throw KeelError("\(host.name): cannot install the download at \(destination): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return Outcome(replaced: flags.contains("replaced"), attributesChanged: flags.contains("attributes"), fields: fields)
    }

    /// Ansible's file-module fields for the installed file (mode "0644", owner, group, uid, gid, size).
    public static func pathInfo(_ fields: [String: String]) -> OrderedDictionary<String, Value> {
        var info: OrderedDictionary<String, Value> = [:]
        if let mode = fields["mode"], let bits = Int(mode, radix: 8) { info["mode"] = .string(RemotePath.octal(bits)) }
        if let owner = fields["owner"] { info["owner"] = .string(owner) }
        if let group = fields["group"] { info["group"] = .string(group) }
        if let uid = fields["uid"].flatMap({ Int($0) }) { info["uid"] = .int(uid) }
        if let gid = fields["gid"].flatMap({ Int($0) }) { info["gid"] = .int(gid) }
        if let size = fields["size"].flatMap({ Int($0) }) { info["size"] = .int(size) }
        info["state"] = "file"
        return info
    }

    /// A `mode` argument as chmod takes it: an integer (YAML's 0644 read as octal digits) in octal,
    /// a string as written (octal digits or symbolic clauses, which chmod reads as Ansible does).
    public static func chmodArgument(_ mode: Value?) -> String? {
        switch mode {
        case .int(let i)?: return String(i & 0o7777, radix: 8)
        case .string(let s)?: return s
        default: return nil
        }
    }
}
