import KeelBase
import OrderedCollections

/// The services `service_facts` reports, read from the output of one observation script: the sysv
/// scan (`service --status-all`), then systemd's units and unit files, merged in Ansible's order (a
/// later scanner's entry replaces an earlier one of the same name).
public struct ServiceListing: Equatable, Sendable {
    var services: OrderedDictionary<String, Value> = [:]

    /// systemd states that win over the unit file's state (Ansible's BAD_STATES).
    static let badStates = ["not-found", "masked", "failed"]

    /// One script for the whole listing; its sections start with `@@` markers. The C locale keeps the
    /// tools' words parseable, as Ansible asks for. A unit file without a loaded unit gets its
    /// ActiveState from `systemctl show`, as Ansible does one unit at a time, but in the same round trip.
    static let observationScript = """
        export LANG=C LC_ALL=C
        if command -v service >/dev/null 2>&1 && ! command -v chkconfig >/dev/null 2>&1 && ! command -v rc-status >/dev/null 2>&1; then
          echo @@sysv
          service --status-all 2>/dev/null
        fi
        if command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ] || [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ]; }; then
          units=$(systemctl list-units --no-pager --type service --all --plain 2>/dev/null)
          echo @@units
          printf '%s\\n' "$units"
          echo @@unitfiles
          files=$(systemctl list-unit-files --no-pager --type service --all 2>/dev/null)
          printf '%s\\n' "$files"
          loaded=$(printf '%s\\n' "$units" | grep '\\.service' | awk '{print $1}')
          printf '%s\\n' "$files" | grep '\\.service' | awk '{print $1}' | while read -r name; do
            printf '%s\\n' "$loaded" | grep -qxF -- "$name" && continue
            state=$(systemctl show "$name" --property=ActiveState 2>/dev/null) || state=
            echo "@@show $name ${state#ActiveState=}"
          done
        fi
        true
        """

    static func parse(_ text: String) -> ServiceListing {
        var listing = ServiceListing()
        var section = ""
        var shown: [String: String] = [:]
        var unitFiles: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("@@show ") {
                let fields = line.dropFirst(7).split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
                shown[String(fields[0])] = fields.count > 1 ? String(fields[1]) : ""
                continue
            }
            if line.hasPrefix("@@") { section = String(line.dropFirst(2)); continue }
            switch section {
            case "sysv": listing.addSysv(line)
            case "units": listing.addUnit(line)
            case "unitfiles": unitFiles.append(line)
            default: break
            }
        }
        for line in unitFiles { listing.addUnitFile(line, shown: shown) }
        return listing
    }

    /// `[ + ]  name` (running) or `[ - ]  name` (stopped); `[ ? ]` is not listed, as in Ansible.
    mutating func addSysv(_ line: Substring) {
        let trimmed = line.drop(while: { $0 == " " || $0 == "\t" })
        guard trimmed.hasPrefix("[ "), trimmed.count > 5 else { return }
        let mark = trimmed[trimmed.index(trimmed.startIndex, offsetBy: 2)]
        guard mark == "+" || mark == "-", trimmed.dropFirst(3).hasPrefix(" ]") else { return }
        let rest = trimmed.dropFirst(5)
        guard let first = rest.first, first == " " || first == "\t" else { return }
        let name = String(rest.drop(while: { $0 == " " || $0 == "\t" }))
        guard !name.isEmpty else { return }
        services[name] = ["name": .string(name), "state": .string(mark == "+" ? "running" : "stopped"), "source": "sysv"]
    }

    /// A `list-units --plain` line: UNIT LOAD ACTIVE SUB DESCRIPTION. Ansible takes the status from the
    /// ACTIVE column unless a bad state appears anywhere before the last field, and the state from SUB.
    mutating func addUnit(_ line: Substring) {
        guard line.contains(".service") else { return }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count >= 4 else { return }
        let head = fields.dropLast()
        let status = Self.badStates.first(where: { head.contains($0) }) ?? fields[2]
        services[fields[0]] = ["name": .string(fields[0]), "state": .string(fields[3] == "running" ? "running" : "stopped"),
                               "status": .string(status), "source": "systemd"]
    }

    /// A `list-unit-files` line: UNIT FILE STATE [PRESET]. A unit that was not loaded is added with the
    /// ActiveState `systemctl show` gave (`unknown` when it gave nothing); a loaded one takes the unit
    /// file's state as its status unless its status is a bad state.
    mutating func addUnitFile(_ line: Substring, shown: [String: String]) {
        guard line.contains(".service") else { return }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count >= 2 else { return }
        let (name, status) = (fields[0], fields[1])
        if case .dict(var entry)? = services[name] {
            if let current = entry["status"]?.stringValue, Self.badStates.contains(current) { return }
            entry["status"] = .string(status)
            services[name] = .dict(entry)
        } else {
            let state = shown[name].flatMap { $0.isEmpty ? nil : $0 } ?? "unknown"
            services[name] = ["name": .string(name), "state": .string(state), "status": .string(status), "source": "systemd"]
        }
    }
}
