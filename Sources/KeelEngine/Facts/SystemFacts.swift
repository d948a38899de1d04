import Foundation
import KeelBase
import OrderedCollections

/// The subsets of `min`: platform, distribution, user, date_time, dns, pkg_mgr, service_mgr, selinux,
/// apparmor, fips, cmdline, env; and loadavg and chroot. Names and shapes are Ansible's.
enum SystemFacts {
    static func platform(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let node = o["nodename"] ?? ""
        let machine = o["machine"] ?? ""
        facts["system"] = .string(o["system"] ?? "")
        facts["kernel"] = .string(o["kernel"] ?? "")
        facts["kernel_version"] = .string(o["kernel_version"] ?? "")
        facts["machine"] = .string(machine)
        facts["architecture"] = .string(architecture(machine))
        if let bits = o["userspace_bits"] { facts["userspace_bits"] = .string(bits) }
        if machine == "x86_64" { facts["userspace_architecture"] = .string(o["userspace_bits"] == "32" ? "i386" : "x86_64") }
        facts["nodename"] = .string(node)
        facts["hostname"] = .string(String(node.split(separator: ".").first ?? ""))
        let fqdn = o["fqdn"] ?? node
        facts["fqdn"] = .string(fqdn)
        facts["domain"] = .string(fqdn.firstIndex(of: ".").map { String(fqdn[fqdn.index(after: $0)...]) } ?? "")
        if let id = o["machine_id"] { facts["machine_id"] = .string(id) }
    }

    /// Ansible's name for the machine: i386 for every 32-bit x86 flavor.
    static func architecture(_ machine: String) -> String {
        ["i386", "i486", "i586", "i686"].contains(machine) ? "i386" : machine
    }

    static func distribution(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let id = o.unquoted("os_ID") ?? "", like = o.unquoted("os_ID_LIKE") ?? ""
        facts["distribution"] = .string(distributionName(id: id, name: o.unquoted("os_NAME") ?? ""))
        var version = o.unquoted("os_VERSION_ID") ?? ""
        if id == "debian", let full = o["debian_version"], full.first?.isNumber == true { version = full }
        facts["distribution_version"] = .string(version)
        let parts = version.split(separator: ".")
        facts["distribution_major_version"] = .string(String(parts.first ?? ""))
        if parts.count > 1 { facts["distribution_minor_version"] = .string(String(parts[1])) }
        facts["distribution_release"] = .string(o.unquoted("os_VERSION_CODENAME") ?? "")
        facts["os_family"] = .string(osFamily(id: id, like: like))
        if o["os_ID"] != nil {
            facts["distribution_file_path"] = "/etc/os-release"
            facts["distribution_file_variety"] = .string(facts["distribution"]?.stringValue ?? "")
            facts["distribution_file_parsed"] = true
        }
    }

    static func osFamily(id: String, like: String) -> String {
        let words = Set(([id] + like.split(separator: " ").map(String.init)).map { $0.lowercased() })
        if words.contains("debian") || words.contains("ubuntu") { return "Debian" }
        if !words.isDisjoint(with: ["rhel", "fedora", "centos", "rocky", "almalinux"]) { return "RedHat" }
        if words.contains("suse") || words.contains("opensuse") { return "Suse" }
        if words.contains("arch") { return "Archlinux" }
        if words.contains("alpine") { return "Alpine" }
        return id.isEmpty ? "unknown" : id.capitalized
    }

    static func distributionName(id: String, name: String) -> String {
        let known = ["debian": "Debian", "ubuntu": "Ubuntu", "fedora": "Fedora", "centos": "CentOS", "rhel": "RedHat", "rocky": "Rocky",
                     "almalinux": "AlmaLinux", "alpine": "Alpine", "arch": "Archlinux", "opensuse-leap": "openSUSE Leap", "sles": "SLES"]
        return known[id.lowercased()] ?? (name.isEmpty ? "unknown" : name)
    }

    /// `id` prints `uid=0(root) gid=0(root) groups=...`, with `euid=`/`egid=` when they differ.
    static func user(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var ids: [String: (Int, String)] = [:]
        for field in (o["ids"] ?? "").split(separator: " ") {
            let pair = field.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, ["uid", "gid", "euid", "egid"].contains(pair[0]) else { continue }
            let number = Int(pair[1].prefix { $0.isNumber }) ?? -1
            let name = pair[1].firstIndex(of: "(").map { String(pair[1][pair[1].index(after: $0)...].dropLast()) } ?? ""
            ids[pair[0]] = (number, name)
        }
        let uid = ids["uid"]?.0 ?? -1, gid = ids["gid"]?.0 ?? -1
        // getent's line: name:password:uid:gid:gecos:dir:shell
        let passwd = (o["passwd"] ?? "").split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        facts["user_id"] = .string(o["user_id"] ?? ids["uid"]?.1 ?? passwd.first ?? "")
        facts["user_uid"] = .int(uid)
        facts["user_gid"] = .int(gid)
        facts["user_gecos"] = .string(passwd.count > 4 ? passwd[4] : "")
        facts["user_dir"] = .string(passwd.count > 5 ? passwd[5] : "")
        facts["user_shell"] = .string(passwd.count > 6 ? passwd[6] : "")
        facts["real_user_id"] = .int(uid)
        facts["effective_user_id"] = .int(ids["euid"]?.0 ?? uid)
        facts["real_group_id"] = .int(gid)
        facts["effective_group_id"] = .int(ids["egid"]?.0 ?? gid)
    }

    /// Ansible's date_time: every value a string, local time except the iso8601 forms ending in Z.
    static func dateTime(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let f = (o["now"] ?? "").split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 13, let epoch = Int(f[7]) else { return }
        let (year, month, day, hour, minute, second, nanos) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6])
        let micro = String(nanos.prefix(6))
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: TimeInterval(epoch)))
        let utcText = String(format: "%04d-%02d-%02dT%02d:%02d:%02d", c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0)
        // The zone's daylight-saving name: of January's and July's, the one further east of UTC.
        let zones = o.all("zone").map { $0.split(separator: "|").map(String.init) }.filter { $0.count == 2 }
        let dst = zones.count == 2 && zones[0] != zones[1] ? (Int(zones[0][1]) ?? 0 > Int(zones[1][1]) ?? 0 ? zones[0][0] : zones[1][0]) : f[11]
        facts["date_time"] = .dict([
            "year": .string(year), "month": .string(month), "weekday": .string(f[8]), "weekday_number": .string(f[9]),
            "weeknumber": .string(f[10]), "day": .string(day), "hour": .string(hour), "minute": .string(minute), "second": .string(second),
            "epoch": .string(f[7]), "epoch_int": .string(f[7]), "date": .string("\(year)-\(month)-\(day)"), "time": .string("\(hour):\(minute):\(second)"),
            "iso8601_micro": .string("\(utcText).\(micro)Z"), "iso8601": .string("\(utcText)Z"),
            "iso8601_basic": .string("\(year)\(month)\(day)T\(hour)\(minute)\(second)\(micro)"),
            "iso8601_basic_short": .string("\(year)\(month)\(day)T\(hour)\(minute)\(second)"),
            "tz": .string(f[11]), "tz_dst": .string(dst), "tz_offset": .string(f[12]),
        ])
    }

    static func dns(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var dns = OrderedDictionary<String, Value>()
        func words(_ key: String) -> [String] { o.all(key).flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } }
        let nameservers = words("resolv_nameserver")
        if !nameservers.isEmpty { dns["nameservers"] = .list(nameservers.map(Value.string)) }
        if let domain = words("resolv_domain").first { dns["domain"] = .string(domain) }
        let search = o.all("resolv_search").last.map { $0.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) } ?? []
        if !search.isEmpty { dns["search"] = .list(search.map(Value.string)) }
        let sortlist = words("resolv_sortlist")
        if !sortlist.isEmpty { dns["sortlist"] = .list(sortlist.map(Value.string)) }
        var options = OrderedDictionary<String, Value>()
        for option in words("resolv_options") {
            let pair = option.split(separator: ":", maxSplits: 1).map(String.init)
            options[pair[0]] = pair.count == 2 ? .string(pair[1]) : true
        }
        if !options.isEmpty { dns["options"] = .dict(options) }
        facts["dns"] = .dict(dns)
    }

    static func pkgMgr(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let names = ["apt-get": "apt", "dnf5": "dnf5", "xbps-install": "xbps", "emerge": "portage", "pkg": "pkgng"]
        let found = o["pkg_mgr"] ?? "unknown"
        facts["pkg_mgr"] = .string(names[found] ?? found)
    }

    /// systemd when it booted the host, else the name of PID 1 (as Ansible reads it from /proc/1/comm).
    static func serviceMgr(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let pid1 = o["proc1"] ?? ""
        let name: String
        if o["systemd_booted"] != nil || pid1 == "systemd" { name = "systemd" }
        else if pid1.isEmpty || pid1 == "init" || pid1.hasSuffix("sh") { name = "service" }
        else { name = pid1 }
        facts["service_mgr"] = .string(name)
    }

    static func selinux(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        guard let enforce = o["selinux_enforce"] else {
            facts["selinux"] = ["status": "disabled"]
            return
        }
        var s: OrderedDictionary<String, Value> = ["status": "enabled", "mode": .string(enforce == "1" ? "enforcing" : "permissive")]
        if let v = o["selinux_policyvers"], let n = Int(v) { s["policyvers"] = .int(n) }
        if let mode = o["selinux_config"] { s["config_mode"] = .string(mode) }
        if let type = o["selinux_configTYPE"] { s["type"] = .string(type) }
        facts["selinux"] = .dict(s)
    }

    static func apparmor(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        facts["apparmor"] = ["status": .string(o["apparmor"] ?? "disabled")]
    }

    static func fips(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        facts["fips"] = .bool(o["fips"] == "1")
    }

    /// `cmdline` keeps the last value of a repeated key, `proc_cmdline` all of them (as a list).
    static func cmdline(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        guard let line = o["cmdline"] else { return }
        var last = OrderedDictionary<String, Value>(), every = OrderedDictionary<String, Value>()
        for word in line.split(separator: " ") {
            let pair = word.split(separator: "=", maxSplits: 1).map(String.init)
            let value: Value = pair.count == 2 ? .string(pair[1]) : true
            last[pair[0]] = value
            switch every[pair[0]] {
            case nil: every[pair[0]] = value
            case .list(let values)?: every[pair[0]] = .list(values + [value])
            case let previous?: every[pair[0]] = .list([previous, value])
            }
        }
        facts["cmdline"] = .dict(last)
        facts["proc_cmdline"] = .dict(every)
    }

    static func loadavg(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        let parts = (o["loadavg"] ?? "").split(separator: " ").prefix(3).compactMap { Double($0) }
        guard parts.count == 3 else { return }
        facts["loadavg"] = ["1m": .double(parts[0]), "5m": .double(parts[1]), "15m": .double(parts[2])]
    }

    /// `python` and `python_version`, shaped (and keys ordered) as ansible-core's setup returns them.
    static func python(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        guard let executable = o["python_executable"], let version = o["python_version"] else { return }
        let parts = version.split(separator: "|").map(String.init)
        guard parts.count == 5, let major = Int(parts[0]), let minor = Int(parts[1]), let micro = Int(parts[2]), let serial = Int(parts[4]) else { return }
        facts["python"] = ["executable": .string(executable), "has_sslcontext": .bool(o["python_ssl"] == "1"),
                           "type": .string(o["python_type"] ?? "cpython"),
                           "version": ["major": .int(major), "micro": .int(micro), "minor": .int(minor), "releaselevel": .string(parts[3]), "serial": .int(serial)],
                           "version_info": [.int(major), .int(minor), .int(micro), .string(parts[3]), .int(serial)]]
        facts["python_version"] = .string("\(major).\(minor).\(micro)")
    }

    /// In a chroot when asked to be (debian_chroot) or when / is not PID 1's root.
    static func chroot(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        if o["chroot_env"] != nil { facts["is_chroot"] = true; return }
        let roots = (o["roots"] ?? "").split(separator: " ")
        facts["is_chroot"] = roots.count == 2 ? .bool(roots[0] != roots[1]) : false
    }

    static func env(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var env = OrderedDictionary<String, Value>()
        for (k, v) in o.environment { env[k] = .string(v) }
        facts["env"] = .dict(env)
    }
}
