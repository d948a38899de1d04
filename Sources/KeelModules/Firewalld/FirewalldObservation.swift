import Foundation
import KeelBase
import KeelTransport

/// Everything a firewalld task needs to know about a host, read in one round trip: whether the daemon
/// runs, the zone's permanent and runtime settings (through firewall-cmd when it runs, from the zone XML
/// when it does not), the daemon's LogDenied, and what the lock-out guard needs (the controller's SSH
/// address and port as the host sees them, the interface that reaches it, other zones' bindings and
/// the ports of every service).
public struct FirewalldObservation: Sendable, Equatable {
    /// The zone observed (the default zone when the task named none).
    public var zone = ""
    public var running = false
    /// firewalld (its files or firewall-cmd) is on the host at all.
    public var installed = false
    public var defaultZone = "public"
    /// The zone exists in the permanent configuration (its own file, a shipped default, or --get-zones).
    public var zoneExists = false
    public var permanent: ZoneSettings?
    /// nil when the daemon does not run (or does not know the zone yet).
    public var runtime: ZoneSettings?
    /// LogDenied of /etc/firewalld/firewalld.conf (the permanent value; "off" when unset).
    public var logDenied = "off"
    public var runtimeLogDenied: String?
    /// The zone file as found (for offline writes, which keep what Keel does not manage).
    public var zoneFileText: String?
    public var controller: ControllerAddress?
    /// Other zones' sources and interfaces (active zones, or the zone files when offline).
    public var bindings: [String: ZoneBindings] = [:]
    /// Service name -> its ports ("22/tcp"), from /usr/lib/firewalld/services overridden by /etc/firewalld/services.
    public var servicePorts: [String: [String]] = [:]
    /// firewall-offline-cmd is installed (offline writes are checked with it).
    public var hasOfflineCmd = false
    /// Every service firewalld knows (shipped and the host's own).
    public var serviceNames: Set<String> = []
}

/// Where the controller's SSH connection comes from, as the host sees it.
public struct ControllerAddress: Sendable, Equatable {
    public var address: String
    public var port: Int
    /// The host's interface that routes back to the controller.
    public var interface: String?
}

public struct ZoneBindings: Sendable, Equatable {
    public var interfaces: [String] = []
    public var sources: [String] = []
}

extension FirewalldObservation {
    /// `zone` nil: the default zone (firewall-cmd's, else firewalld.conf's, else public).
    static func script(zone: String?) -> String {
        let z = zone.map(ShellQuote.quote) ?? "''"
        return """
            z=\(z)
            conf=/etc/firewalld/firewalld.conf
            running=0
            command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1 && running=1
            if [ -z "$z" ]; then
              [ "$running" = 1 ] && z=$(firewall-cmd --get-default-zone 2>/dev/null)
              [ -n "$z" ] || z=$(sed -n 's/^DefaultZone=//p' "$conf" 2>/dev/null | head -n1)
              [ -n "$z" ] || z=public
            fi
            echo "@zone $z"
            [ -d /usr/lib/firewalld ] || [ -d /etc/firewalld ] || command -v firewall-cmd >/dev/null 2>&1 && echo "@installed"
            echo "@servicenames"
            ls /usr/lib/firewalld/services /etc/firewalld/services 2>/dev/null | sed -n 's/\\.xml$//p'
            # The controller as the host sees it: sudo drops SSH_CONNECTION, so look for it in the ancestors.
            sc=${SSH_CONNECTION:-}
            p=$$
            while [ -z "$sc" ] && [ -n "$p" ] && [ "$p" -gt 1 ] 2>/dev/null; do
              sc=$(tr '\\000' '\\n' < /proc/$p/environ 2>/dev/null | sed -n 's/^SSH_CONNECTION=//p' | head -n1)
              p=$(sed -n 's/^PPid:[[:space:]]*//p' /proc/$p/status 2>/dev/null)
            done
            echo "@ssh $sc"
            set -- $sc
            if [ -n "${1:-}" ] && command -v ip >/dev/null 2>&1; then echo "@route $(ip -o route get "$1" 2>/dev/null | head -n1)"; fi
            command -v firewall-offline-cmd >/dev/null 2>&1 && echo "@offline-cmd"
            echo "@conf"
            [ -f "$conf" ] && grep -E '^(DefaultZone|LogDenied)=' "$conf"
            echo "@services"
            grep -Ho '<port [^>]*>' /usr/lib/firewalld/services/*.xml /etc/firewalld/services/*.xml 2>/dev/null
            f=/etc/firewalld/zones/$z.xml
            [ -f "$f" ] || f=/usr/lib/firewalld/zones/$z.xml
            if [ -f "$f" ]; then echo "@xml $f"; cat "$f"; echo; fi
            if [ "$running" = 1 ]; then
              t=$(mktemp -d)
              # Each firewall-cmd is a Python start: run them side by side.
              firewall-cmd --get-default-zone > "$t/default" 2>&1 &
              firewall-cmd --permanent --get-zones > "$t/zones" 2>&1 &
              firewall-cmd --permanent --zone="$z" --list-all > "$t/permanent" 2>&1 &
              firewall-cmd --zone="$z" --list-all > "$t/runtime" 2>&1 &
              firewall-cmd --get-active-zones > "$t/active" 2>&1 &
              firewall-cmd --get-log-denied > "$t/logdenied" 2>&1 &
              wait
              echo "@running"
              for k in default zones permanent runtime active logdenied; do echo "@$k"; cat "$t/$k"; done
              rm -rf "$t"
            else
              echo "@bindings"
              for f in /etc/firewalld/zones/*.xml; do
                [ -f "$f" ] || continue
                echo "$(basename "$f" .xml)"
                echo "  interfaces: $(sed -n 's/.*<interface name="\\([^"]*\\)".*/\\1/p' "$f" | tr '\\n' ' ')"
                echo "  sources: $(sed -n 's/.*<source address="\\([^"]*\\)".*/\\1/p' "$f" | tr '\\n' ' ')"
              done
            fi
            echo "@end"
            """
    }

    static func observe(zone: String?, on host: HostContext) async throws -> FirewalldObservation {
        let result = try await host.runChecked(script(zone: zone), failure: "cannot inspect firewalld")
        let observation = try parse(result.stdoutText, zone: zone)
        guard observation.installed else {
            throw KeelError("\(host.name): firewalld is not installed", expected: "the firewalld package (firewall-cmd, /usr/lib/firewalld)",
                            found: "neither firewall-cmd nor /usr/lib/firewalld nor /etc/firewalld")
        }
        return observation
    }

    static func parse(_ output: String, zone: String?) throws -> FirewalldObservation {
        var sections: [(name: String, argument: String, body: [String])] = []
        for line in output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("@") {
                let word = line.dropFirst().split(separator: " ", maxSplits: 1).map(String.init)
                sections.append((word.first ?? "", word.count > 1 ? word[1] : "", []))
            } else if !sections.isEmpty {
                sections[sections.count - 1].body.append(line)
            }
        }
        guard sections.last?.name == "end" else {
            throw KeelError("the firewalld observation was cut short", found: String(output.suffix(300)))
        }
        var observation = FirewalldObservation()
        observation.zone = zone ?? ""
        var xmlPath: String?
        var activeZones = ""
        var runtimeListing: String?
        var permanentListing: String?
        for section in sections {
            let body = section.body.joined(separator: "\n")
            switch section.name {
            case "zone": observation.zone = section.argument
            case "servicenames": observation.serviceNames = Set(section.body.filter { !$0.isEmpty })
            case "ssh":
                let fields = section.argument.split(separator: " ").map(String.init)
                if fields.count == 4, let port = Int(fields[3]) {
                    observation.controller = ControllerAddress(address: fields[0], port: port)
                }
            case "route":
                let words = section.argument.split(separator: " ").map(String.init)
                if let dev = words.firstIndex(of: "dev"), dev + 1 < words.count { observation.controller?.interface = words[dev + 1] }
            case "offline-cmd": observation.hasOfflineCmd = true
            case "conf":
                for line in section.body {
                    if line.hasPrefix("DefaultZone=") { observation.defaultZone = String(line.dropFirst(12)) }
                    if line.hasPrefix("LogDenied=") { observation.logDenied = String(line.dropFirst(10)) }
                }
            case "services": observation.servicePorts = parseServicePorts(section.body)
            case "xml":
                xmlPath = section.argument
                observation.zoneFileText = body
            case "installed": observation.installed = true
            case "running": observation.running = true
            case "default": observation.defaultZone = body.trimmingCharacters(in: .whitespacesAndNewlines)
            case "zones":
                observation.zoneExists = body.split(whereSeparator: \.isWhitespace).contains { String($0) == observation.zone }
            case "permanent": permanentListing = body
            case "runtime": runtimeListing = body
            case "active", "bindings": activeZones = body
            case "logdenied": observation.runtimeLogDenied = body.trimmingCharacters(in: .whitespacesAndNewlines)
            default: break
            }
        }
        observation.bindings = parseBindings(activeZones)
        if observation.running {
            if observation.zoneExists, let permanentListing { observation.permanent = try ListAllParser.parse(permanentListing) }
            // The runtime lacks a zone created permanently until the next reload: firewall-cmd then errors.
            if let runtimeListing, !runtimeListing.contains("INVALID_ZONE") { observation.runtime = try ListAllParser.parse(runtimeListing) }
        } else if let text = observation.zoneFileText, xmlPath != nil {
            observation.zoneExists = true
            observation.permanent = try ZoneXML(parsing: text).settings
        }
        return observation
    }

    /// `grep -Ho` lines: `/usr/lib/firewalld/services/ssh.xml:<port protocol="tcp" port="22"/>`.
    static func parseServicePorts(_ lines: [String]) -> [String: [String]] {
        var shipped: [String: [String]] = [:]
        var own: [String: [String]] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let path = String(line[..<colon])
            let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
            let element = String(line[line.index(after: colon)...])
            guard let port = xmlAttribute("port", in: element), let proto = xmlAttribute("protocol", in: element) else { continue }
            if path.hasPrefix("/etc/") { own[name, default: []].append("\(port)/\(proto)") } else { shipped[name, default: []].append("\(port)/\(proto)") }
        }
        return shipped.merging(own) { _, mine in mine }
    }

    static func xmlAttribute(_ name: String, in element: String) -> String? {
        guard let start = element.range(of: " \(name)=\"") else { return nil }
        let rest = element[start.upperBound...]
        guard let end = rest.firstIndex(of: "\"") else { return nil }
        return String(rest[..<end])
    }

    /// `--get-active-zones` (or its offline imitation): a zone name, then indented `interfaces:`/`sources:` lines.
    static func parseBindings(_ text: String) -> [String: ZoneBindings] {
        var bindings: [String: ZoneBindings] = [:]
        var current: String?
        for line in text.split(separator: "\n").map(String.init) {
            if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                current = line.trimmingCharacters(in: .whitespaces)
                if let current { bindings[current] = bindings[current] ?? ZoneBindings() }
                continue
            }
            guard let current, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let words = line[line.index(after: colon)...].split(separator: " ").map(String.init)
            if key == "interfaces" { bindings[current]?.interfaces = words }
            if key == "sources" { bindings[current]?.sources = words }
        }
        return bindings
    }
}
