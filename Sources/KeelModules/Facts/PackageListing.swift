import KeelBase
import OrderedCollections

/// Installed packages as `package_facts` reports them: name -> a list of installed versions (one per
/// version or architecture), each a dict with Ansible's fields for its manager. Read from dpkg-query and
/// apt-cache (apt) and `rpm -qa` (rpm) in one observation script whose sections start with `@@`.
enum PackageListing {
    /// The managers Keel reads, under Ansible's names.
    enum Manager: String, CaseIterable, Sendable { case apt, rpm }

    /// One script listing what each requested manager has installed.
    static func observationScript(_ managers: [Manager]) -> String {
        var script = "export LANG=C LC_ALL=C\n"
        if managers.contains(.apt) {
            // apt-cache policy gives, per installed version, the package files it came from; the first
            // one's Release origin is Ansible's `origin` (python-apt's origins[0]); dpkg's status file has none.
            script += """
                if command -v dpkg-query >/dev/null 2>&1 && { command -v apt >/dev/null 2>&1 || command -v apt-get >/dev/null 2>&1 || command -v aptitude >/dev/null 2>&1; }; then
                  echo "@@apt $(dpkg --print-architecture)"
                  dpkg-query -W -f '${db:Status-Status}\\t${Package}\\t${Version}\\t${Architecture}\\t${Section}\\n'
                  if command -v apt-cache >/dev/null 2>&1; then
                    echo @@aptfiles
                    apt-cache policy 2>/dev/null
                    echo @@aptversions
                    dpkg-query -W -f '${db:Status-Status} ${Package}\\n' | awk '$1 != "not-installed" && $1 != "config-files" {print $2}' | xargs -r apt-cache policy 2>/dev/null
                    echo @@aptsections
                    dpkg-query -W -f '${db:Status-Status} ${Package}=${Version}\\n' | awk '$1 != "not-installed" && $1 != "config-files" {print $2}' | xargs -r apt-cache show 2>/dev/null | grep -E '^(Package|Version|Section):'
                  fi
                fi

                """
        }
        if managers.contains(.rpm) {
            script += """
                if command -v rpm >/dev/null 2>&1; then
                  echo @@rpm
                  rpm -qa --qf '%{NAME}\\t%{VERSION}\\t%{RELEASE}\\t%{EPOCH}\\t%{ARCH}\\n' 2>/dev/null
                fi

                """
        }
        return script + "true\n"
    }

    /// Each manager that is present on the host, with what it lists (possibly nothing).
    static func parse(_ text: String) -> OrderedDictionary<Manager, OrderedDictionary<String, [Value]>> {
        var sections: OrderedDictionary<String, [Substring]> = [:]
        var current = ""
        var nativeArchitecture = ""
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@") {
                let words = line.dropFirst(2).split(separator: " ")
                current = words.first.map(String.init) ?? ""
                if current == "apt", words.count > 1 { nativeArchitecture = String(words[1]) }
                sections[current, default: []] = []
                continue
            }
            sections[current, default: []].append(line)
        }
        var result: OrderedDictionary<Manager, OrderedDictionary<String, [Value]>> = [:]
        if let lines = sections["apt"] {
            let origins = AptOrigins(files: sections["aptfiles"] ?? [], versions: sections["aptversions"] ?? [])
            result[.apt] = aptPackages(lines, native: nativeArchitecture, origins: origins, sections: aptSections(sections["aptsections"] ?? []))
        }
        if let lines = sections["rpm"] { result[.rpm] = rpmPackages(lines) }
        return result
    }

    /// dpkg-query lines: status, name, version, architecture, section. A package counts when it has a
    /// current version (python-apt's is_installed): anything but not-installed and config-files. A foreign
    /// architecture's package is named `name:arch`, as python-apt's cache names it.
    static func aptPackages(_ lines: [Substring], native: String, origins: AptOrigins,
                            sections: [String: String] = [:]) -> OrderedDictionary<String, [Value]> {
        var packages: [(String, Value)] = []
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5, f[0] != "not-installed", f[0] != "config-files", !f[1].isEmpty else { continue }
            let name = f[3] == native || f[3] == "all" || native.isEmpty ? f[1] : "\(f[1]):\(f[3])"
            packages.append((name, ["name": .string(name), "version": .string(f[2]), "arch": .string(f[3]), "category": .string(sections["\(f[1]) \(f[2])"] ?? f[4]),
                                    "origin": .string(origins.origin(of: name, version: f[2])), "source": "apt"]))
        }
        var result: OrderedDictionary<String, [Value]> = [:]
        for (name, details) in packages.sorted(by: { $0.0 < $1.0 }) { result[name, default: []].append(details) }
        return result
    }

    /// The section apt's cache gives each installed version: that of its first record (`apt-cache show
    /// NAME=VERSION`), which is the repository's when the version is in one (it may differ from dpkg's).
    static func aptSections(_ lines: [Substring]) -> [String: String] {
        var sections: [String: String] = [:]
        var package = "", version = ""
        for line in lines {
            if line.hasPrefix("Package: ") { package = String(line.dropFirst(9)); version = "" }
            else if line.hasPrefix("Version: ") { version = String(line.dropFirst(9)) }
            else if line.hasPrefix("Section: "), sections["\(package) \(version)"] == nil { sections["\(package) \(version)"] = String(line.dropFirst(9)) }
        }
        return sections
    }

    /// `rpm -qa` lines: name, version, release, epoch ("(none)" when unset: null), arch.
    static func rpmPackages(_ lines: [Substring]) -> OrderedDictionary<String, [Value]> {
        var result: OrderedDictionary<String, [Value]> = [:]
        for line in lines {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 5, !f[0].isEmpty else { continue }
            result[f[0], default: []].append(["name": .string(f[0]), "version": .string(f[1]), "release": .string(f[2]),
                                               "epoch": f[3] == "(none)" ? .null : .string(f[3]), "arch": .string(f[4]), "source": "rpm"])
        }
        return result
    }
}

/// Where each installed Debian package version came from, from `apt-cache policy` (the package files
/// with their Release fields) and `apt-cache policy NAMES` (each version's package files, in order).
struct AptOrigins {
    /// "http://deb.debian.org/debian bookworm/main amd64 Packages" -> "Debian".
    private var originOfFile: [String: String] = [:]
    /// "bash 5.2.15-2+b8" -> the first package file listed under the installed version.
    private var firstFile: [String: String] = [:]

    init(files: [Substring], versions: [Substring]) {
        var lastFile: String?
        for line in files {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("release ") {
                guard let file = lastFile else { continue }
                for field in trimmed.dropFirst(8).split(separator: ",") where field.hasPrefix("o=") { originOfFile[file] = String(field.dropFirst(2)) }
            } else if let space = trimmed.firstIndex(of: " "), Int(trimmed[..<space]) != nil, line.hasPrefix(" "), !line.hasPrefix("     ") {
                lastFile = trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces)
            }
        }
        var package: String?
        var version: String?
        for line in versions {
            if !line.hasPrefix(" "), line.hasSuffix(":") { package = String(line.dropLast()); version = nil; continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("*** ") {
                version = trimmed.dropFirst(4).split(separator: " ").first.map(String.init)
            } else if let space = trimmed.firstIndex(of: " "), Int(trimmed[..<space]) != nil, line.hasPrefix("        ") {
                if let package, let version, firstFile["\(package) \(version)"] == nil {
                    firstFile["\(package) \(version)"] = trimmed[trimmed.index(after: space)...].trimmingCharacters(in: .whitespaces)
                }
            } else if !line.hasPrefix("        ") {
                version = nil   // another version of the table: its files are not the installed version's
            }
        }
    }

    func origin(of package: String, version: String) -> String {
        firstFile["\(package) \(version)"].flatMap { originOfFile[$0] } ?? ""
    }
}
