import KeelBase
import KeelTransport

/// haproxy_server's waits: polled on the host in one script (no round trip per poll), bounded by the
/// task's timeout, failing with the last status, check result and session count.
extension HAProxyServerModule {
    /// up: health checks passed and the server takes traffic; checked: a health check passed (the server
    /// may still be draining); drained: no current sessions.
    public enum WaitGoal: String, Sendable, Equatable, Codable { case up, checked, drained }

    static func wait(_ a: ServerSelector, until goal: WaitGoal, for servers: [HAProxyServerState], on host: HostContext) async throws {
        var script = HAProxyRuntimeSocket.shellFunction + "\nsock=\(ShellQuote.quote(a.socket))\n"
        for server in servers { script += waitScript(backend: server.backend, server: server.server, until: goal, timeout: a.timeout) }
        let result = try await host.run(script)
        guard result.status == 0 else {
            throw KeelError("\(host.name): haproxy_server \(a.host): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))",
                            expected: goal == .up ? "the server UP by its health checks within \(a.timeout)s" : "no sessions left within \(a.timeout)s")
        }
    }

    /// Polls `show stat` (pxname, svname, scur, status and check_status are its fixed columns 1, 2, 5, 18
    /// and 37) until the goal holds. A server without checks has an empty check_status and counts as
    /// healthy; "UP 1/3" (going down) and a check still at INI do not.
    static func waitScript(backend: String, server: String, until goal: WaitGoal, timeout: Int) -> String {
        let condition: String
        switch goal {
        case .up: condition = #"if [ -z "$ck" ]; then case "$st" in UP*|"no check") break ;; esac; elif [ "$st" = UP ]; then case "$ck" in *OK*) break ;; esac; fi"#
        case .checked: condition = #"if [ -z "$ck" ]; then break; fi; case "$st" in UP|DRAIN) case "$ck" in *OK*) break ;; esac ;; esac"#
        case .drained: condition = #"[ "$sc" = 0 ] && break"#
        }
        return """
            end=$(( $(date +%s) + \(timeout) ))
            while :; do
              row=$(hap "$sock" "show stat" | awk -F, -v b=\(ShellQuote.quote(backend)) -v s=\(ShellQuote.quote(server)) '$1 == b && $2 == s { print $18 "|" $5 "|" $37 }')
              st=${row%%|*}; rest=${row#*|}; sc=${rest%%|*}; ck=${rest#*|}; ck=${ck#\\* }
              \(condition)
              if [ "$(date +%s)" -ge "$end" ]; then echo "\(backend)/\(server) is still '$st' (last check: ${ck:-none}) with $sc session(s) after \(timeout)s" >&2; exit 75; fi
              sleep 0.2
            done

            """
    }
}
