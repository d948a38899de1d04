/// `keel doc haproxy_server`.
enum HAProxyServerDocumentation {
    static let page = ModuleDocumentation(
        summary: "Put an HAProxy backend server in ready, drain or maintenance, set its weight, wait until it is UP or drained",
        description: """
            Talks to HAProxy's runtime API on the host (the admin `stats socket`) with socat, or `nc -U` when socat is not \
            installed (one of them must be; Debian's haproxy package recommends socat). It reads `show servers state` and \
            `show stat` first and changes only what differs, so a second run reports ok; check mode reports the change \
            without sending it. ready takes traffic; drain keeps the server's current sessions but sends it no new ones; \
            maint takes it out of rotation. With `wait: true` the task ends only when the server is UP by its health \
            checks (state ready; a server without checks counts as UP) or has no current sessions (drain, maint), or \
            fails after `wait_timeout` seconds with the last status and session count. A server leaving maintenance is \
            one HAProxy assumes UP before any check ran, so with `wait` Keel first puts it in drain (its checks run, \
            it gets no requests), waits for a passed check, and only then makes it ready; if no check passes it stays \
            draining and the task fails. The wait also applies when nothing had to change. The state set here lives in the running HAProxy: a reload starts from the configuration file \
            again. Returns host, backend, state, status and current_sessions.
            """,
        examples: """
            - name: take green into rotation once its health checks pass
              haproxy_server:
                backend: web
                host: green
                state: ready
                socket: /run/haproxy/admin.sock
                wait: true
                wait_timeout: 60

            - name: stop sending new requests to blue and wait for its sessions to finish
              haproxy_server: backend=web host=blue state=drain wait=true socket=/run/haproxy/admin.sock

            - name: blue out of rotation
              haproxy_server: backend=web host=blue state=maint socket=/run/haproxy/admin.sock

            - name: community.general.haproxy's spelling works too
              community.general.haproxy:
                state: disabled
                host: blue
                backend: web
                drain: true
                socket: /run/haproxy/admin.sock
            """,
        deviations: [
            "States ready, drain and maint are HAProxy's names; community.general.haproxy's enabled and disabled are accepted as ready and maint.",
            "wait for state drain/maint means 'no current sessions' (community.general.haproxy waits for the DRAIN/MAINT status only); for ready it means a health check passed and the status is UP, and a server leaving maintenance is drained until then.",
            "The wait polls every 0.2 s; wait_interval x wait_retries only give the default timeout (wait_timeout sets it directly).",
            "agent, health and the TCP socket form (`socket: ipv4@...`) are not supported: socket must be a Unix socket path.",
        ])
}
