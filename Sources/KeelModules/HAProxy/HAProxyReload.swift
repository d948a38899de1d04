import KeelTransport

/// Reloads HAProxy after a new configuration is in place, without dropping connections, and confirms
/// that a new process took over:
/// - under systemd (the unit active): `systemctl reload` (Debian's unit checks the file, then sends
///   USR2 to the master, which starts new workers and lets the old ones finish their connections);
/// - without systemd, a master-worker HAProxy (its pidfile names a master with workers): USR2 to it;
/// - a plain daemon: a new process started with `-sf OLD_PIDS` (and `-x SOCKET` to take over the
///   listening sockets when an admin socket exposes them), which tells the old one to finish and exit.
/// Confirmed when a worker that was not there before runs and, if the configuration declares an admin
/// socket, that socket answers from the new worker. HAProxy that is not running is left stopped.
public struct HAProxyReload: Sendable, Codable, Equatable {
    var configPath: String
    var service: String
    var pidfile: String
    var statsSocket: String?
    /// The file's `server-state-file`: the running servers' states are saved there just before the reload,
    /// so the new process starts with them (drain, maint, weights) instead of the file's.
    var serverStateFile: String?
    var timeoutSeconds: Int

    /// Prints `KEEL_RELOAD=<how>` and `KEEL_WORKER=<pid>`, or `KEEL_RELOAD=none` when HAProxy is not
    /// running; exits non-zero with HAProxy's or systemd's message when the reload fails.
    var script: String {
        let socket = statsSocket.map(ShellQuote.quote) ?? "''"
        return HAProxyRuntimeSocket.shellFunction + "\n" + """
            cfg=\(ShellQuote.quote(configPath)); unit=\(ShellQuote.quote(service)); pidfile=\(ShellQuote.quote(pidfile)); sock=\(socket)
            children() { cat /proc/[0-9]*/stat 2>/dev/null | awk -v p="$1" '$4 == p && $2 == "(haproxy)" { print $1 }' | sort -n; }
            alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
            how=none; master=
            if [ -d /run/systemd/system ] && systemctl is-active --quiet "$unit" 2>/dev/null; then
              how=systemd; master=$(systemctl show -p MainPID --value "$unit")
            elif [ -f "$pidfile" ] && alive "$(head -n1 "$pidfile")"; then
              master=$(head -n1 "$pidfile")
              if [ -n "$(children "$master")" ]; then how=master-worker; else how=sf; fi
            fi
            echo "KEEL_RELOAD=$how"
            [ "$how" = none ] && exit 0
            before=$(children "$master" | tr '\\n' ' ')
            statefile=\(serverStateFile.map(ShellQuote.quote) ?? "''")
            if [ -n "$statefile" ] && [ -S "$sock" ]; then
              mkdir -p "$(dirname -- "$statefile")"
              hap "$sock" "show servers state" > "$statefile.keel-tmp" && mv -f -- "$statefile.keel-tmp" "$statefile" || { echo "cannot save the servers' states to $statefile" >&2; exit 1; }
            fi
            case $how in
              systemd) out=$(systemctl reload "$unit" 2>&1) || { echo "systemctl reload $unit failed: $out" >&2; systemctl status --no-pager -n 20 "$unit" >&2 2>&1; exit 1; } ;;
              master-worker) kill -USR2 "$master" ;;
              sf)
                old=$(cat "$pidfile" | tr '\\n' ' ')
                bin=$(command -v haproxy || echo /usr/sbin/haproxy)
                take=; if [ -S "$sock" ]; then take="-x $sock"; fi
                out=$("$bin" -f "$cfg" -p "$pidfile" -D $take -sf $old 2>&1) || { echo "haproxy did not start: $out" >&2; exit 1; } ;;
            esac
            i=0; limit=$((\(timeoutSeconds) * 10)); new=
            while [ $i -lt $limit ]; do
              if [ "$how" = sf ]; then
                p=$(head -n1 "$pidfile" 2>/dev/null); case " $old " in *" $p "*) ;; *) alive "$p" && new=$p ;; esac
              else
                for p in $(children "$master"); do case " $before " in *" $p "*) ;; *) new=$p ;; esac; done
              fi
              if [ -n "$new" ]; then
                if [ -z "$sock" ] || [ ! -S "$sock" ]; then break; fi
                served=$(hap "$sock" "show info" 2>/dev/null | sed -n 's/^Pid: //p')
                [ "$served" = "$new" ] && break
              fi
              sleep 0.1; i=$((i + 1))
            done
            if [ $i -ge $limit ]; then
              echo "HAProxy did not confirm the reload within \(timeoutSeconds)s (how: $how, workers before: $before, new worker: ${new:-none})" >&2
              [ "$how" = systemd ] && systemctl status --no-pager -n 20 "$unit" >&2 2>&1
              exit 1
            fi
            echo "KEEL_WORKER=$new"
            """
    }
}
