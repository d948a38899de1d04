import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// Ansible's core facts, gathered in one round trip with POSIX sh and coreutils (no Python on the host):
/// os_family, distribution*, hostname, fqdn, architecture, default_ipv4, memtotal_mb, processor_vcpus,
/// service_mgr, pkg_mgr, env, user_id, kernel, and a few more under Ansible's names.
enum FactGatherer {
    static let script = #"""
        echo "hostname=$(hostname 2>/dev/null || cat /proc/sys/kernel/hostname)"
        echo "fqdn=$(hostname -f 2>/dev/null || hostname)"
        echo "architecture=$(uname -m)"
        echo "kernel=$(uname -r)"
        echo "system=$(uname -s)"
        echo "user_id=$(id -un)"
        echo "user_uid=$(id -u)"
        echo "user_gid=$(id -g)"
        echo "user_dir=$HOME"
        echo "user_shell=${SHELL:-}"
        echo "vcpus=$(nproc 2>/dev/null || grep -c ^processor /proc/cpuinfo)"
        echo "memtotal_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)"
        echo "memfree_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo)"
        [ -d /run/systemd/system ] && echo "service_mgr=systemd" || echo "service_mgr=$(cat /proc/1/comm 2>/dev/null)"
        for m in apt-get dnf yum zypper apk pacman; do if command -v $m >/dev/null 2>&1; then echo "pkg_mgr=$m"; break; fi; done
        [ -r /etc/debian_version ] && echo "debian_version=$(cat /etc/debian_version)"
        if [ -r /etc/os-release ]; then sed -n 's/^\(ID\|ID_LIKE\|NAME\|VERSION_ID\|VERSION_CODENAME\|PRETTY_NAME\)=/os_\1=/p' /etc/os-release; fi
        route=$(ip -4 route show default 2>/dev/null | head -n1)
        if [ -n "$route" ]; then
          dev=$(echo "$route" | sed -n 's/.* dev \([^ ]*\).*/\1/p'); gw=$(echo "$route" | sed -n 's/.* via \([^ ]*\).*/\1/p')
        else
          dev=$(ip -4 -o addr show scope global 2>/dev/null | awk '{print $2; exit}'); gw=
        fi
        if [ -n "$dev" ]; then
          echo "ipv4_interface=$dev"; echo "ipv4_gateway=$gw"
          ip -4 -o addr show dev "$dev" 2>/dev/null | awk '{split($4,a,"/"); print "ipv4_address=" a[1]; print "ipv4_prefix=" a[2]; exit}'
          echo "ipv4_macaddress=$(cat /sys/class/net/$dev/address 2>/dev/null)"
        fi
        echo "all_ipv4=$(ip -4 -o addr show scope global 2>/dev/null | awk '{split($4,a,"/"); printf "%s ", a[1]}')"
        echo "interfaces=$(ls /sys/class/net 2>/dev/null | tr '\n' ' ')"
        echo "date_epoch=$(date +%s)"
        echo "KEEL_ENV_BEGIN"; env; echo "KEEL_ENV_END"
        """#

    /// Runs the gathering script and maps its output to `ansible_facts`.
    static func gather(on connection: any Connection) async throws -> OrderedDictionary<String, Value> {
        let result = try await connection.run(script)
        return parse(result.stdoutText)
    }

    static func parse(_ output: String) -> OrderedDictionary<String, Value> {
        var raw: [String: String] = [:]
        var environment = OrderedDictionary<String, Value>()
        var inEnvironment = false
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line == "KEEL_ENV_BEGIN" { inEnvironment = true; continue }
            if line == "KEEL_ENV_END" { inEnvironment = false; continue }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]), value = String(line[line.index(after: eq)...])
            if inEnvironment { environment[key] = .string(value) } else { raw[key] = unquote(value) }
        }
        var facts = OrderedDictionary<String, Value>()
        let id = raw["os_ID"] ?? "", like = raw["os_ID_LIKE"] ?? ""
        let hostname = raw["hostname"] ?? ""
        facts["hostname"] = .string(String(hostname.split(separator: ".").first ?? ""))
        facts["nodename"] = .string(hostname)
        facts["fqdn"] = .string(raw["fqdn"] ?? hostname)
        facts["domain"] = .string(raw["fqdn"].flatMap { f in f.firstIndex(of: ".").map { String(f[f.index(after: $0)...]) } } ?? "")
        facts["architecture"] = .string(raw["architecture"] ?? "")
        facts["machine"] = .string(raw["architecture"] ?? "")
        facts["kernel"] = .string(raw["kernel"] ?? "")
        facts["system"] = .string(raw["system"] ?? "")
        facts["os_family"] = .string(osFamily(id: id, like: like))
        facts["distribution"] = .string(distribution(id: id, name: raw["os_NAME"] ?? ""))
        var version = raw["os_VERSION_ID"] ?? ""
        if id == "debian", let full = raw["debian_version"], full.first?.isNumber == true { version = full }
        facts["distribution_version"] = .string(version)
        facts["distribution_major_version"] = .string(String(version.split(separator: ".").first ?? ""))
        facts["distribution_release"] = .string(raw["os_VERSION_CODENAME"] ?? "")
        facts["user_id"] = .string(raw["user_id"] ?? "")
        facts["user_uid"] = .int(Int(raw["user_uid"] ?? "") ?? -1)
        facts["user_gid"] = .int(Int(raw["user_gid"] ?? "") ?? -1)
        facts["user_dir"] = .string(raw["user_dir"] ?? "")
        facts["user_shell"] = .string(raw["user_shell"] ?? "")
        let vcpus = Int(raw["vcpus"] ?? "") ?? 1
        facts["processor_vcpus"] = .int(vcpus)
        facts["processor_count"] = .int(vcpus)
        facts["memtotal_mb"] = .int((Int(raw["memtotal_kb"] ?? "") ?? 0) / 1024)
        facts["memfree_mb"] = .int((Int(raw["memfree_kb"] ?? "") ?? 0) / 1024)
        facts["service_mgr"] = .string(raw["service_mgr"] ?? "")
        let pkg = raw["pkg_mgr"] ?? "unknown"
        facts["pkg_mgr"] = .string(pkg == "apt-get" ? "apt" : pkg)
        var ipv4 = OrderedDictionary<String, Value>()
        if let address = raw["ipv4_address"] {
            ipv4["address"] = .string(address)
            ipv4["interface"] = .string(raw["ipv4_interface"] ?? "")
            ipv4["gateway"] = .string(raw["ipv4_gateway"] ?? "")
            ipv4["prefix"] = .string(raw["ipv4_prefix"] ?? "")
            ipv4["macaddress"] = .string(raw["ipv4_macaddress"] ?? "")
        }
        facts["default_ipv4"] = .dict(ipv4)
        facts["all_ipv4_addresses"] = .list((raw["all_ipv4"] ?? "").split(separator: " ").map { .string(String($0)) })
        facts["interfaces"] = .list((raw["interfaces"] ?? "").split(separator: " ").map { .string(String($0)) })
        facts["env"] = .dict(environment)
        if let epoch = Int(raw["date_epoch"] ?? "") { facts["date_time"] = ["epoch": .string(String(epoch))] }
        facts["gather_subset"] = ["min"]
        return facts
    }

    static func unquote(_ s: String) -> String {
        if s.count >= 2, let first = s.first, first == s.last, first == "\"" || first == "'" { return String(s.dropFirst().dropLast()) }
        return s
    }

    static func osFamily(id: String, like: String) -> String {
        let words = Set(([id] + like.split(separator: " ").map(String.init)).map { $0.lowercased() })
        if words.contains("debian") || words.contains("ubuntu") { return "Debian" }
        if words.isDisjoint(with: ["rhel", "fedora", "centos", "rocky", "almalinux"]) == false { return "RedHat" }
        if words.contains("suse") || words.contains("opensuse") { return "Suse" }
        if words.contains("arch") { return "Archlinux" }
        if words.contains("alpine") { return "Alpine" }
        return id.isEmpty ? "unknown" : id.capitalized
    }

    static func distribution(id: String, name: String) -> String {
        switch id.lowercased() {
        case "debian": return "Debian"
        case "ubuntu": return "Ubuntu"
        case "fedora": return "Fedora"
        case "centos": return "CentOS"
        case "rhel": return "RedHat"
        case "rocky": return "Rocky"
        case "almalinux": return "AlmaLinux"
        case "alpine": return "Alpine"
        case "arch": return "Archlinux"
        default: return name.isEmpty ? "unknown" : name
        }
    }
}
