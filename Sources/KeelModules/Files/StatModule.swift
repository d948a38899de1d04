import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `stat`: what a path is, read in one round trip with GNU stat, readlink and a checksum tool on the
/// host; never changes anything (ansible.builtin.stat).
public struct StatModule: Module {
    public static let name = "stat"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Describe a file or directory (exists, type, mode, owner, size, times, checksum)",
        description: """
            Returns `stat` for `register`: exists, path, mode ("0644"), isdir, isreg, islnk, ischr, isblk, isfifo, \
            issock, uid, gid, pw_name, gr_name, size, inode, dev, nlink, atime, mtime, ctime, the permission bits \
            (rusr, wusr, xusr, rgrp, ... isuid, isgid), readable/writeable/executable for the connecting user, \
            checksum (sha1 unless checksum_algorithm says otherwise), lnk_source and lnk_target for links, \
            mimetype/charset and attributes when the host has `file` and `lsattr`. Never reports a change.
            """,
        examples: """
            - stat:
                path: /etc/haproxy/haproxy.cfg
                checksum_algorithm: sha256
              register: cfg
            - fail: msg="no config"
              when: not cfg.stat.exists
            """,
        deviations: [
            "mimetype and charset are omitted when the host has no `file` command; attributes/version when it has no `lsattr`.",
            "atime/mtime/ctime carry GNU stat's nanoseconds rounded to a Double, as Python's float does.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, aliases: ["dest", "name"], help: "The path to look at.") var path: String
        @Option("follow", .bool, default: false, help: "Describe what a symbolic link points to instead of the link.") var follow: Bool
        @Option("get_checksum", .bool, default: true, help: "Compute the checksum of a regular file.") var get_checksum: Bool
        @Option("checksum_algorithm", .string, default: "sha1", choices: ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"], aliases: ["checksum", "checksum_algo"], help: "Algorithm of the checksum (a *sum tool of coreutils on the host).") var checksum_algorithm: String
        @Option("get_mime", .bool, default: true, aliases: ["mime", "mime_type", "mime-type"], help: "Add mimetype and charset, when the host has the `file` command.") var get_mime: Bool
        @Option("get_attributes", .bool, default: true, aliases: ["attr", "attributes"], help: "Add attributes and version, when the host has `lsattr`.") var get_attributes: Bool

        public init() {}
    }

    public typealias State = Value
    public typealias Step = Never

    public init() {}

    /// Fields of `stat -c`, one per line so names with `|` cannot confuse the parser.
    static let statFormat = ["%f", "%u", "%g", "%U", "%G", "%s", "%.9X", "%.9Y", "%.9Z", "%i", "%d", "%h", "%b", "%o", "%t", "%T"]

    public func observe(_ a: Arguments, on host: HostContext) async throws -> Value {
        let L = a.follow ? "-L " : ""
        let format = Self.statFormat.joined(separator: "\\n")
        let script = """
            p=\(ShellQuote.quote(a.path))
            if [ ! -e "$p" ] && [ ! -L "$p" ]; then echo absent; exit 0; fi
            if [ -n "\(L)" ] && [ ! -e "$p" ]; then echo absent; exit 0; fi
            echo present
            stat \(L)--printf '\(format)\\n' -- "$p" || exit 1
            [ -r "$p" ] && echo 1 || echo 0
            [ -w "$p" ] && echo 1 || echo 0
            [ -x "$p" ] && echo 1 || echo 0
            if [ -L "$p" ] && [ -z "\(L)" ]; then echo "L:$(readlink -- "$p")"; echo "S:$(readlink -f -- "$p")"; fi
            if [ \(a.get_checksum ? 1 : 0) = 1 ] && [ -f "$p" ] && [ -r "$p" ] && { [ -n "\(L)" ] || [ ! -L "$p" ]; }; then
              echo "C:$(\(a.checksum_algorithm)sum < "$p" | cut -d' ' -f1)"
            fi
            if [ \(a.get_mime ? 1 : 0) = 1 ] && command -v file >/dev/null 2>&1; then
              # Ansible asks `file` about the path itself, links not followed, even with follow.
              echo "M:$(file -b --mime-type -- "$p")"; echo "E:$(file -b --mime-encoding -- "$p")"
            fi
            if [ \(a.get_attributes ? 1 : 0) = 1 ] && command -v lsattr >/dev/null 2>&1 && { [ -f "$p" ] || [ -d "$p" ]; }; then
              echo "A:$(lsattr -d -- "$p" 2>/dev/null | cut -d' ' -f1)"; echo "V:$(lsattr -dv -- "$p" 2>/dev/null | cut -d' ' -f1)"
            fi
            """
        let result = try await host.runChecked(script, failure: "cannot stat \(a.path)")
        return try Self.parse(result.stdoutText, path: a.path)
    }

    public func plan(_ a: Arguments, observed: Value, on host: HostContext) throws -> Plan<Never> {
        .unchanged(values: ["stat": observed])
    }

    public func apply(_ plan: Plan<Never>, on host: HostContext) async throws -> Applied { .unchanged() }

    static func parse(_ output: String, path: String) throws -> Value {
        var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let first = lines.first else { throw KeelError("stat printed nothing for \(path)") }
        if first == "absent" { return ["exists": false] }
        lines.removeFirst()
        let count = statFormat.count
        guard lines.count >= count + 3, let raw = Int(lines[0], radix: 16) else {
            throw KeelError("unexpected stat output for \(path): \(output.prefix(300))")
        }
        let fields = Array(lines[0..<count])
        let flags = Array(lines[count..<(count + 3)])
        var extra: [Character: String] = [:]
        for line in lines[(count + 3)...] where line.count >= 2 && line.dropFirst().first == ":" {
            extra[line.first!] = String(line.dropFirst(2))
        }
        let type = raw & 0o170000
        func bit(_ mask: Int) -> Value { .bool(raw & mask != 0) }
        var stat: OrderedDictionary<String, Value> = [
            "exists": true,
            "path": .string(path),
            "mode": .string(RemotePath.octal(raw & 0o7777)),
            "isdir": .bool(type == 0o040000), "ischr": .bool(type == 0o020000), "isblk": .bool(type == 0o060000),
            "isreg": .bool(type == 0o100000), "isfifo": .bool(type == 0o010000), "islnk": .bool(type == 0o120000),
            "issock": .bool(type == 0o140000),
            "uid": .int(Int(fields[1]) ?? -1), "gid": .int(Int(fields[2]) ?? -1),
            "pw_name": .string(fields[3]), "gr_name": .string(fields[4]),
            "size": .int(Int(fields[5]) ?? 0),
            "atime": .double(Double(fields[6]) ?? 0), "mtime": .double(Double(fields[7]) ?? 0), "ctime": .double(Double(fields[8]) ?? 0),
            "inode": .int(Int(fields[9]) ?? 0), "dev": .int(Int(fields[10]) ?? 0), "nlink": .int(Int(fields[11]) ?? 0),
            "blocks": .int(Int(fields[12]) ?? 0), "block_size": .int(Int(fields[13]) ?? 0),
            "device_type": .int(type == 0o020000 || type == 0o060000 ? ((Int(fields[14], radix: 16) ?? 0) << 8 | (Int(fields[15], radix: 16) ?? 0)) : 0),
            "wusr": bit(0o200), "rusr": bit(0o400), "xusr": bit(0o100),
            "wgrp": bit(0o020), "rgrp": bit(0o040), "xgrp": bit(0o010),
            "woth": bit(0o002), "roth": bit(0o004), "xoth": bit(0o001),
            "isuid": bit(0o4000), "isgid": bit(0o2000),
            "readable": .bool(flags[0] == "1"), "writeable": .bool(flags[1] == "1"), "executable": .bool(flags[2] == "1"),
        ]
        if let target = extra["L"] { stat["lnk_target"] = .string(target) }
        if let source = extra["S"] { stat["lnk_source"] = .string(source) }
        if let checksum = extra["C"] { stat["checksum"] = .string(checksum) }
        if let mime = extra["M"] { stat["mimetype"] = .string(mime) }
        if let charset = extra["E"] { stat["charset"] = .string(charset) }
        if let attributes = extra["A"], !attributes.isEmpty {
            stat["attr_flags"] = .string(attributes.replacingOccurrences(of: "-", with: ""))
            stat["attributes"] = .list(Self.attributeNames(attributes))
        }
        if let version = extra["V"], !version.isEmpty { stat["version"] = .string(version) }
        return .dict(stat)
    }

    /// lsattr's letters as the names Ansible lists.
    static func attributeNames(_ flags: String) -> [Value] {
        let names: [Character: String] = ["a": "append", "A": "noatime", "c": "compressed", "C": "nocow", "d": "nodump",
                                          "D": "dirsync", "e": "extents", "E": "encrypted", "F": "casefold", "i": "immutable",
                                          "I": "indexed", "j": "journalled", "m": "dontcompress", "N": "inline", "P": "projinherit",
                                          "s": "secure", "S": "synchronous", "t": "notail", "T": "topdir", "u": "undelete", "V": "verity", "x": "dax"]
        return flags.compactMap { names[$0].map(Value.string) }
    }
}
