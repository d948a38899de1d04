import Foundation
import KeelBase

/// `gather_subset` and `filter` as ansible-core reads them. A list of subset names (or one comma-separated
/// string). The selection starts from `min`; `all` adds every subset, a name adds that one, `!name`
/// takes it away, `!all` takes away all but `min`, `!min` takes away the minimal subsets. A name both
/// added and taken away stays added. So, as in ansible-core, `!hardware` alone leaves only `min`
/// (write `all,!hardware` for everything else), and `!min` alone gathers nothing.
public struct FactSelection: Sendable, Equatable {
    /// The subsets Keel gathers something for.
    public static let gathered: [String] = ["apparmor", "chroot", "cmdline", "date_time", "distribution", "dns", "env", "fips", "loadavg",
                                     "pkg_mgr", "platform", "selinux", "service_mgr", "user",
                                     "hardware", "mounts", "network", "virtual", "python"]
    /// Ansible's subsets Keel accepts but has nothing for (they need Python, facter or ohai, or other tools).
    public static let accepted: [String] = ["caps", "devices", "dmi", "facter", "fibre_channel_wwn", "iscsi", "local", "lsb", "nvme", "ohai",
                                     "ssh_pub_keys", "systemd"]
    /// What `min` means (Ansible's minimal subset, less what Keel has nothing for).
    public static let minimal: Set<String> = ["apparmor", "cmdline", "date_time", "distribution", "dns", "env", "fips", "pkg_mgr", "platform",
                                       "python", "selinux", "service_mgr", "user"]
    /// A name that stands for several subsets (Keel gathers mounts as part of hardware, as Ansible does).
    public static let aliases: [String: Set<String>] = ["hardware": ["hardware", "mounts", "devices", "dmi"]]

    public static var valid: Set<String> { Set(gathered + accepted) }
    /// The names `keel doc setup` lists.
    public static var choices: [String] { ["all", "min"] + (gathered + accepted).sorted() }

    public let subsets: Set<String>

    public init(subsets: Set<String>) { self.subsets = subsets }

    /// Ansible's rules; an unknown name to add is an error, an unknown name to take away is ignored.
    public init(_ requested: [String]) throws {
        let names = requested.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var added = Self.minimal, excluded = Set<String>(), explicit = Set<String>()
        for name in names {
            if name == "min" { added.formUnion(Self.minimal); continue }
            if name == "all" { added.formUnion(Self.valid); continue }
            if name.hasPrefix("!") {
                let subset = String(name.dropFirst())
                switch subset {
                case "min": excluded.formUnion(Self.minimal)
                case "all": excluded.formUnion(Self.valid.subtracting(Self.minimal))
                default: excluded.formUnion(Self.aliases[subset] ?? [subset])
                }
                continue
            }
            guard Self.valid.contains(name) else {
                throw KeelError("unknown gather_subset '\(name)'", expected: "all, min, " + (Self.gathered + Self.accepted).sorted().joined(separator: ", "))
            }
            let members = Self.aliases[name] ?? [name]
            added.formUnion(members)
            explicit.formUnion(members)
        }
        subsets = added.subtracting(excluded.subtracting(explicit))
    }

    public func includes(_ subset: String) -> Bool { subsets.contains(subset) }
}

/// `filter`: shell-style globs on the first-level fact names, with or without the `ansible_` prefix.
public struct FactFilter: Sendable {
    public let patterns: [String]

    public init(_ patterns: [String]) {
        self.patterns = patterns.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func admits(_ name: String) -> Bool {
        if patterns.isEmpty || patterns.contains("*") { return true }
        return patterns.contains { fnmatch($0, "ansible_" + name, 0) == 0 || fnmatch($0, name, 0) == 0 }
    }
}
