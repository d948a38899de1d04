/// `keel doc haproxy_config`.
enum HAProxyConfigDocumentation {
    static let page = ModuleDocumentation(
        summary: "HAProxy's configuration as data: rendered, checked by HAProxy, installed atomically, reloaded gracefully",
        description: """
            Renders haproxy.cfg from global, defaults, frontends and backends (or takes the whole text as `content`) in one \
            canonical layout, so the same data always gives the same file and a second run changes nothing. The diff is a \
            unified diff of the file. A new file is checked with `haproxy -c -f` in a temporary file beside the real one \
            (also in check mode, so --check already reports a file HAProxy would refuse), then renamed over the old file; \
            if HAProxy refuses it, the old file stays and keeps serving, and the error carries HAProxy's own message. \
            Only when the content changed is HAProxy reloaded: `systemctl reload` where systemd runs the unit, otherwise \
            USR2 to a master-worker process found through `pidfile`, or a new process started with `-sf` (and `-x SOCKET` \
            when the admin socket exposes the listeners). The task waits until a new worker runs and, when the file \
            declares an admin socket, answers on it. A stopped HAProxy is not started (start it with your service task). \
            Conveniences on a frontend: `rate_limit` (a stick table per client address and `http-request deny deny_status \
            429` past `requests` per `period`), `security_headers` (Strict-Transport-Security, X-Content-Type-Options, \
            X-Frame-Options, Referrer-Policy), `redirect_to_https`, `acme_challenge` (HTTP-01 requests under \
            /.well-known/acme-challenge/ go to the ACME client and are never redirected). Every nested key is checked: \
            a misspelt one is an error naming its place, e.g. `frontends[0].binds[1]`. Returns path, checksum, \
            reloaded, reload_method (systemd, master-worker, sf or none) and worker_pid.
            """,
        examples: """
            - name: HAProxy in front of the app
              haproxy_config:
                global:
                  log: /dev/log local0
                  maxconn: 4096
                  stats_socket: /run/haproxy/admin.sock
                  server_state_file: /var/lib/haproxy/server-state
                  ssl-default-bind-options: ssl-min-ver TLSv1.2
                frontends:
                  - name: www
                    binds:
                      - ":80"
                      - address: ":443"
                        ssl_certificates: /etc/haproxy/certs/
                        alpn: [h2, http/1.1]
                    redirect_to_https: true
                    acme_challenge: { server: "127.0.0.1:8402" }
                    rate_limit: { requests: 100, period: 10s }
                    security_headers: true
                    acls:
                      is_api: path_beg /api
                    http_request:
                      - set-header X-Forwarded-Proto https if { ssl_fc }
                    use_backends:
                      - { backend: api, if: is_api }
                    default_backend: web
                backends:
                  - name: web
                    balance: roundrobin
                    health_check: { path: /healthz, expect: status 200 }
                    servers:
                      - { name: blue, address: "127.0.0.1:8081", inter: 2s, rise: 2, fall: 3 }
                      - { name: green, address: "127.0.0.1:8082", disabled: true }
                  - name: api
                    servers:
                      - { name: api1, address: "127.0.0.1:9000", weight: 100 }
                      - { name: api2, address: "127.0.0.1:9001", backup: true }

            - name: a hand-written file, still checked and reloaded
              haproxy_config:
                content: "{{ lookup('file', 'haproxy.cfg') }}"
            """,
        deviations: [
            "Ansible has no haproxy_config module; the usual Ansible way is template + validate + a reload handler, which this module folds into one task.",
            "When `defaults` is omitted a standard block is written (mode http, log global, option httplog/dontlognull/redispatch, retries 3, timeouts); pass `defaults: {}` for an empty one.",
            "Servers get `check` unless `check: false` is given (HAProxy's own default is no check).",
            "A reload resets servers' runtime states (drain, maint, weight set through haproxy_server) to the file's, as in HAProxy, unless global has `server_state_file`: then the states are saved there just before each reload and loaded by the new process.",
        ])
}
