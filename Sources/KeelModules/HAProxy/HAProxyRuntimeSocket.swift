import KeelTransport

/// Talking to HAProxy's runtime API (the `stats socket` with `level admin`) from /bin/sh on the host:
/// one command per connection, through socat, or `nc -U` where socat is missing. Shared by
/// haproxy_server and haproxy_config's reload confirmation.
enum HAProxyRuntimeSocket {
    /// Defines `hap SOCKET COMMAND` in the script: prints HAProxy's answer, fails when the socket
    /// cannot be reached (status 69) or no client is installed (status 127).
    static let shellFunction = #"""
        hap() {
          if command -v socat >/dev/null 2>&1; then printf '%s\n' "$2" | socat -t 5 stdio "unix-connect:$1" 2>/dev/null || return 69
          elif command -v nc >/dev/null 2>&1; then printf '%s\n' "$2" | nc -w 5 -U "$1" 2>/dev/null || return 69
          else echo "neither socat nor nc is installed on the host: the HAProxy runtime API cannot be reached" >&2; return 127
          fi
        }
        """#

    /// A check that `socket` is a socket, with an error that says how to declare one.
    static func requireSocket(_ socket: String) -> String {
        let q = ShellQuote.quote(socket)
        return """
            if [ ! -S \(q) ]; then
              echo "no HAProxy admin socket at \(socket): declare one in global (stats socket \(socket) mode 660 level admin) and make sure HAProxy runs" >&2
              exit 69
            fi
            """
    }
}
