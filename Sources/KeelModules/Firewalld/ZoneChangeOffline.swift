import Foundation
import KeelBase
import KeelTransport

/// Offline changes (firewalld not running, e.g. while a host is being bootstrapped): the zone's XML in
/// /etc/firewalld/zones is rewritten in firewalld's format through a temporary file and a rename. Before
/// the rename, `firewall-offline-cmd --system-config=COPY --check-config` judges the whole configuration
/// with the new file in a copy of /etc/firewalld; if it objects, nothing changes and the task fails with
/// firewalld's message. LogDenied is rewritten in firewalld.conf the same way (temporary file + rename).
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
                #"check=$(mktemp -d)"#,
                #"trap 'rm -rf -- "$tmp" "$check"' EXIT"#,
                AtomicReplacement.signalsExit,
                #"cat > "$tmp""#,
            ]
            // Only the whole zone file may replace the old one (a transfer cut short reaches `cat` as end of input).
            lines += AtomicReplacement.verification(of: stdin ?? Data(), in: #""$tmp""#)
            lines += [
                #"if [ -e "$dest" ]; then chmod --reference="$dest" -- "$tmp"; chown --reference="$dest" -- "$tmp" 2>/dev/null || true; else chmod 0644 -- "$tmp"; fi"#,
                // Validate before replacing: the whole configuration, with the new file in a copy of /etc/firewalld.
                #"if command -v firewall-offline-cmd >/dev/null 2>&1; then"#,
                #"  cp -a /etc/firewalld/. "$check/"; rm -f -- "$check"/zones/.keel-tmp.*; cp -- "$tmp" "$check/zones/${dest##*/}""#,
                #"  if ! out=$(firewall-offline-cmd --system-config="$check" --check-config 2>&1); then"#,
                #"    printf 'firewall-offline-cmd --check-config rejected the new zone file (nothing was changed):\n%s\n' "$out" >&2; exit 65"#,
                "  fi",
                "fi",
                #"mv -f -- "$tmp" "$dest""#,
                "trap - EXIT",
                #"rm -rf -- "$check""#,
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
        try await host.runChecked(script, stdin: stdin, failure: "changing firewalld zone '\(zone)' failed")
    }
}
