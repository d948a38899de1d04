import Foundation
import KeelBase
import KeelTransport

/// The SELinux options every file-attribute module accepts (seuser, serole, setype, selevel) and
/// `unsafe_writes`, declared once.
///
/// As ansible-core: on a host without SELinux (no /sys/fs/selinux/enforce) the context options are accepted
/// and change nothing. `file` applies them with `chcon` when SELinux is enabled; the other modules accept
/// them and leave the context the policy gives (documented). `unsafe_writes` is accepted because Keel's
/// writes are always atomic (a temporary file renamed over the destination), which is what the option only
/// relaxes in Ansible.
public struct SecurityContextOptions: Sendable, Equatable {
    public var seuser: String?
    public var serole: String?
    public var setype: String?
    public var selevel: String?

    public init(seuser: String?, serole: String?, setype: String?, selevel: String?) {
        self.seuser = seuser
        self.serole = serole
        self.setype = setype
        self.selevel = selevel
    }

    /// The difference from Ansible every module but `file` documents (`keel doc`), written once.
    public static let deviation = "SELinux options (seuser, serole, setype, selevel) and unsafe_writes are accepted: on a host without SELinux they change nothing, as in Ansible; with SELinux enabled only `file` applies a context (chcon), this module leaves the policy's. Writes are always atomic."

    public static let seuser = OptionSpec("seuser", .string, help: "SELinux user of the path's context ('_default': the policy's). Ignored, as by Ansible, on a host without SELinux.")
    public static let serole = OptionSpec("serole", .string, help: "SELinux role of the path's context. Ignored on a host without SELinux.")
    public static let setype = OptionSpec("setype", .string, help: "SELinux type of the path's context (mysqld_db_t). Ignored on a host without SELinux.")
    public static let selevel = OptionSpec("selevel", .string, help: "SELinux level (MLS/MCS range) of the path's context. Ignored on a host without SELinux.")
    public static let unsafeWrites = OptionSpec("unsafe_writes", .bool, default: false, help: "Accepted for Ansible compatibility; Keel always writes atomically (temporary file, then rename).")
    public static let options: [OptionSpec] = [seuser, serole, setype, selevel, unsafeWrites]

    /// Whether any context field was asked for (a `_default` field counts: it is resolved by the policy).
    public var isEmpty: Bool { [seuser, serole, setype, selevel].allSatisfy { $0 == nil } }

    /// Shell printing `KEEL_SECONTEXT user:role:type:level` for the path in "$p" when SELinux is enabled
    /// (selinuxfs mounted, enforcing or permissive), nothing otherwise.
    static let probe = "if [ -e /sys/fs/selinux/enforce ]; then printf 'KEEL_SECONTEXT %s\\n' \"$(stat -c %C -- \"$p\" 2>/dev/null)\"; fi"
    static let marker = "KEEL_SECONTEXT "

    /// Takes the probe's line out of an observation's output: the current context, "" for a path that has
    /// none yet, nil when the host has no SELinux.
    static func extract(from data: inout Data) -> String? {
        guard let start = data.range(of: Data(marker.utf8)) else { return nil }
        let end = data[start.upperBound...].firstIndex(of: 0x0A) ?? data.endIndex
        let context = String(decoding: data[start.upperBound..<end], as: UTF8.self)
        data.removeSubrange(start.lowerBound..<(end < data.endIndex ? end + 1 : end))
        return context == "?" ? "" : context
    }

    /// The `chcon` flags for the fields that differ from `current` ("u:r:t:l"; "" when unknown: all given fields).
    func chconFlags(current: String) -> [String] {
        let fields = current.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
        func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
        var flags: [String] = []
        for (index, wanted, flag) in [(0, seuser, "-u"), (1, serole, "-r"), (2, setype, "-t"), (3, selevel, "-l")] {
            // `_default` leaves the field to the policy: Keel does not ask matchpathcon, so it keeps what is there.
            guard let wanted, wanted != "_default", wanted != field(index) else { continue }
            flags += [flag, ShellQuote.quote(wanted)]
        }
        return flags
    }
}

extension ArgumentSpec {
    /// This spec, also accepting the SELinux context options and unsafe_writes (for the modules that accept
    /// them without applying a context: see SecurityContextOptions).
    public func acceptingSecurityContextOptions() -> ArgumentSpec {
        var spec = self
        for option in SecurityContextOptions.options where spec.option(named: option.name) == nil {
            spec.options.append(option)
        }
        return spec
    }
}
