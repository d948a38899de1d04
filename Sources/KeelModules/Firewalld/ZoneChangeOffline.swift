import Foundation
import KeelBase
import KeelTransport

/// Offline changes (firewalld not running, e.g. while a host is being bootstrapped): the zone's XML in
/// /etc/firewalld/zones is rewritten in firewalld's format through a temporary file and a rename, then
/// `firewall-offline-cmd --check-config` judges the whole configuration; if it objects, the old file
/// comes back and the task fails with firewalld's message. LogDenied is rewritten in firewalld.conf.
extension ZoneChange {
    func offlineScript() throws -> (script: String, stdin: Data?) {
        let dest = "/etc/firewalld/zones/\(zone).xml"
        var lines = ["set -e", "dest=\(ShellQuote.quote(dest))"]
        var stdin: Data?
        if deleteZone {
            lines.append(#"rm -f -- "$dest""#)
        } else if let permanent, !permanent.isEmpty || createZone {
            let document = try zoneFileText.map { try ZoneXML(parsing: $0) } ?? ZoneXML()
            stdin = Data(try document.text(with: permanent.after).utf8)
            lines += [
                #"mkdir -p /etc/firewalld/zones"#,
                #"tmp=$(mktemp /etc/firewalld/zones/.keel-tmp.XXXXXXXX)"#,
                #"trap 'rm -f -- "$tmp"' EXIT"#,
                #"cat > "$tmp""#,
                #"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp" 2>/dev/null || true; else chmod 0644 -- "$tmp"; fi"#,
                #"had=0; if [ -e "$dest" ]; then cp -p -- "$dest" "$dest.keel-previous"; had=1; fi"#,
                #"mv -f -- "$tmp" "$dest""#,
                "trap - EXIT",
                // firewalld loads only *.xml, so the kept copy is inert while the check runs.
                #"if command -v firewall-offline-cmd >/dev/null 2>&1 && ! out=$(firewall-offline-cmd --check-config 2>&1); then"#,
                #"  if [ "$had" = 1 ]; then mv -f -- "$dest.keel-previous" "$dest"; else rm -f -- "$dest"; fi"#,
                #"  printf 'firewall-offline-cmd --check-config rejected the new zone file (the old one is back):\n%s\n' "$out" >&2; exit 65"#,
                "fi",
                #"rm -f -- "$dest.keel-previous""#,
            ]
        }
        if let logDenied {
            lines += [
                "conf=/etc/firewalld/firewalld.conf",
                "value=\(ShellQuote.quote(logDenied.after))",
                #"ctmp=$(mktemp /etc/firewalld/.keel-tmp.XXXXXXXX)"#,
                #"if [ -f "$conf" ] && grep -q '^LogDenied=' "$conf"; then sed "s|^LogDenied=.*|LogDenied=$value|" "$conf" > "$ctmp";"#
                    + #" else { [ -f "$conf" ] && cat "$conf"; echo "LogDenied=$value"; } > "$ctmp"; fi"#,
                #"if [ -e "$conf" ]; then chmod --reference="$conf" -- "$ctmp"; else chmod 0644 -- "$ctmp"; fi"#,
                #"mv -f -- "$ctmp" "$conf""#,
            ]
        }
        return (lines.joined(separator: "\n"), stdin)
    }

    /// Carries out the change on the host, online or offline as planned.
    func apply(on host: HostContext) async throws {
        let script: String
        var stdin: Data?
        if online {
            script = onlineScript()
        } else {
            (script, stdin) = try offlineScript()
        }
        let result = try await host.run(script, stdin: stdin)
        guard result.status == 0 else {
            throw KeelError("\(host.name): changing firewalld zone '\(zone)' failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
    }
}
