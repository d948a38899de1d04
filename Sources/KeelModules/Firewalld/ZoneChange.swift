import KeelBase
import KeelTransport

/// One converging change of a zone, decided by the plan and carried out as is by apply: the permanent
/// and runtime settings before and after, the zone's creation or deletion, and the daemon's LogDenied.
/// Online it becomes one shell script of firewall-cmd calls; offline (daemon stopped) a rewrite of the
/// zone's XML and of firewalld.conf.
public struct ZoneChange: Sendable, Codable, Equatable, CustomStringConvertible {
    public struct Transition: Sendable, Equatable, Codable {
        public var before: ZoneSettings
        public var after: ZoneSettings
        public var isEmpty: Bool { before == after }
    }

    public var zone: String
    public var online: Bool
    public var createZone = false
    /// The zone exists permanently but not at runtime yet (created without a reload): only a reload brings it.
    public var runtimeMissing = false
    public var deleteZone = false
    public var permanent: Transition?
    public var runtime: Transition?
    public var logDenied: LogDeniedChange?

    public struct LogDeniedChange: Sendable, Equatable, Codable {
        public var before: String
        public var after: String
    }

    public var description: String {
        var parts: [String] = []
        if createZone { parts.append("create") }
        if deleteZone { parts.append("delete") }
        if runtimeMissing { parts.append("reload to load it") }
        if let permanent, !permanent.isEmpty { parts.append("permanent: " + ZoneChange.changedLines(permanent)) }
        if let runtime, !runtime.isEmpty { parts.append("runtime: " + ZoneChange.changedLines(runtime)) }
        if let logDenied { parts.append("log-denied \(logDenied.before) -> \(logDenied.after)") }
        return "firewalld zone \(zone) (\(online ? "online" : "offline")): " + parts.joined(separator: "; ")
    }

    static func changedLines(_ transition: Transition) -> String {
        let before = Set(transition.before.lines), after = Set(transition.after.lines)
        return (transition.before.lines.filter { !after.contains($0) }.map { "-" + $0 }
                + transition.after.lines.filter { !before.contains($0) }.map { "+" + $0 }).joined(separator: ", ")
    }
    /// Seconds a runtime-only addition lasts (ansible.posix.firewalld's timeout); 0 = until reload.
    public var timeout = 0
    /// The zone file as observed, for offline rewrites.
    public var zoneFileText: String?

    public var isEmpty: Bool {
        !createZone && !deleteZone && !runtimeMissing && (permanent?.isEmpty ?? true) && (runtime?.isEmpty ?? true) && logDenied == nil
    }

    /// Before/after text for `--diff`: the zone as readable lines, per configuration.
    public var diffs: [Diff] {
        var diffs: [Diff] = []
        let exists = !createZone
        if let permanent, !permanent.isEmpty || createZone || deleteZone {
            diffs.append(Diff(label: "firewalld zone \(zone) (permanent)",
                              before: exists ? text(permanent.before) : "", after: deleteZone ? "" : text(permanent.after)))
        }
        if let runtime, !runtime.isEmpty {
            diffs.append(Diff(label: "firewalld zone \(zone) (runtime)", before: text(runtime.before), after: text(runtime.after)))
        }
        if let logDenied {
            diffs.append(Diff(label: "firewalld LogDenied", before: "log-denied: \(logDenied.before)\n", after: "log-denied: \(logDenied.after)\n"))
        }
        return diffs
    }

    private func text(_ settings: ZoneSettings) -> String { (["zone: \(zone)"] + settings.lines).joined(separator: "\n") + "\n" }

    // MARK: online

    /// firewall-cmd calls: the permanent configuration first, then LogDenied (firewalld reloads for it),
    /// a reload when the runtime cannot be changed directly (a new zone, a new target), and last the
    /// runtime changes that the reload did not already bring.
    func onlineScript() -> String {
        let z = ShellQuote.quote(zone)
        var lines = [
            "set -e",
            #"fc() { if ! out=$(firewall-cmd "$@" 2>&1); then printf 'firewall-cmd %s: %s\n' "$*" "$out" >&2; exit 1; fi; }"#,
        ]
        if createZone { lines.append("fc --permanent --new-zone=\(z)") }
        if deleteZone { lines.append("fc --permanent --delete-zone=\(z)") }
        if let permanent, !deleteZone {
            lines += Self.commands(zone: zone, from: permanent.before, to: permanent.after, options: ["--permanent"])
        }
        var reloaded = false
        if let logDenied {
            lines.append("fc --set-log-denied=\(ShellQuote.quote(logDenied.after))")
            reloaded = true
        }
        var runtimeBefore = runtime?.before
        // Only a reload brings a new or deleted zone, or a new target, into the runtime.
        if !reloaded, let runtime, createZone || deleteZone || runtimeMissing || runtime.before.target != runtime.after.target {
            reloaded = true
            lines.append("fc --reload")
        }
        // A reload makes the runtime what the permanent configuration now says.
        if reloaded, let permanent { runtimeBefore = permanent.after }
        if let runtime, let runtimeBefore, !deleteZone {
            let options = timeout > 0 ? ["--timeout=\(timeout)"] : []
            lines += Self.commands(zone: zone, from: runtimeBefore, to: runtime.after, options: options, includeTarget: false)
        }
        return lines.joined(separator: "\n")
    }

    static func commands(zone: String, from before: ZoneSettings, to after: ZoneSettings, options: [String],
                         includeTarget: Bool = true) -> [String] {
        let prefix = "fc " + (options + ["--zone=\(ShellQuote.quote(zone))"]).joined(separator: " ")
        var lines: [String] = []
        if includeTarget, before.target != after.target { lines.append("\(prefix) --set-target=\(ShellQuote.quote(after.target))") }
        // Removals first: a source or interface moves between zones only once it has left the old one.
        for collection in ZoneSettings.Collection.allCases {
            let removed = before[collection].filter { !after[collection].contains($0) }
            if !removed.isEmpty {
                lines.append(prefix + removed.map { " --remove-\(collection.rawValue)=\(ShellQuote.quote($0))" }.joined())
            }
        }
        if before.icmpBlockInversion && !after.icmpBlockInversion { lines.append("\(prefix) --remove-icmp-block-inversion") }
        if before.masquerade && !after.masquerade { lines.append("\(prefix) --remove-masquerade") }
        for collection in ZoneSettings.Collection.allCases {
            let added = after[collection].filter { !before[collection].contains($0) }
            // An interface or source belongs to one zone at most: --change-* moves it here from another
            // zone (as ansible.posix.firewalld does), where --add-* would fail with ZONE_CONFLICT.
            let verb = collection == .interface || collection == .source ? "change" : "add"
            if !added.isEmpty {
                lines.append(prefix + added.map { " --\(verb)-\(collection.rawValue)=\(ShellQuote.quote($0))" }.joined())
            }
        }
        if !before.icmpBlockInversion && after.icmpBlockInversion { lines.append("\(prefix) --add-icmp-block-inversion") }
        if !before.masquerade && after.masquerade { lines.append("\(prefix) --add-masquerade") }
        return lines
    }
}
