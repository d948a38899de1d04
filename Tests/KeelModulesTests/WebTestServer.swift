import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing

/// A small HTTP server for the uri and get_url tests, with the routes they need (JSON, echo, statuses,
/// redirects, Basic auth, cookies, Content-Disposition, files from a directory). It runs either inside a
/// lab host's network namespace (the module's request then never leaves the host) or on this machine's
/// loopback (for differentials against Ansible, which runs here). Listens on 127.0.0.1 on a free port.
enum WebTestServer {
    static let script = #"""
    import base64, json, os, sys, time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    root, portfile = sys.argv[1], sys.argv[2]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def reply(self, status, body=b"", ctype="text/plain", headers=()):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def handle_any(self):
            length = int(self.headers.get("Content-Length") or 0)
            data = self.rfile.read(length) if length else b""
            path = self.path.split("?")[0]
            if path == "/json":
                self.reply(200, json.dumps({"ok": True, "n": 1, "items": ["a", "b"]}).encode(), "application/json")
            elif path == "/problem+json":
                self.reply(422, b'{"error": "bad"}', "application/problem+json")
            elif path == "/echo":
                body = {"method": self.command, "path": self.path, "body": data.decode("utf-8", "replace"),
                        "headers": {k.lower(): v for k, v in self.headers.items()}}
                self.reply(200, json.dumps(body).encode(), "application/json")
            elif path.startswith("/status/"):
                code = int(path.split("/")[2])
                self.reply(code, ("status %d\n" % code).encode())
            elif path == "/redirect":
                self.reply(302, b"", headers=[("Location", "/json")])
            elif path == "/auth":
                want = "Basic " + base64.b64encode(b"alice:s3cret").decode()
                if self.headers.get("Authorization") == want:
                    self.reply(200, b'{"user": "alice"}', "application/json")
                else:
                    self.reply(401, b"who are you?\n", headers=[("WWW-Authenticate", 'Basic realm="test"')])
            elif path == "/cookies":
                self.reply(200, b"cookies\n", headers=[("Set-Cookie", "session=abc123; Path=/"), ("Set-Cookie", "theme=dark; Path=/")])
            elif path == "/disposition":
                self.reply(200, b"named content\n", headers=[("Content-Disposition", 'attachment; filename="named.txt"')])
            elif path == "/slow":
                time.sleep(10)
                self.reply(200, b"late\n")
            elif path.startswith("/files/"):
                name = os.path.join(root, path[len("/files/"):])
                if os.path.isfile(name):
                    with open(name, "rb") as f:
                        self.reply(200, f.read(), "application/octet-stream")
                else:
                    self.reply(404, b"no such file\n")
            else:
                self.reply(404, b"not found\n")

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = handle_any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()
    """#

    /// The server on a lab host, serving `/files/` from `root` there; returns its base URL and a stop function.
    static func start(onLabHost host: String, root: String) throws -> (url: String, stop: @Sendable () -> Void) {
        let lab = LabFixture.shared.lab
        let encoded = Data(script.utf8).base64EncodedString()
        let started = try lab.exec(host, """
            set -e
            echo \(encoded) | base64 -d > \(root)/.server.py
            setsid python3 \(root)/.server.py \(root) \(root)/.port </dev/null >/dev/null 2>&1 &
            echo $! > \(root)/.server.pid
            for i in $(seq 1 100); do [ -s \(root)/.port ] && break; sleep 0.05; done
            cat \(root)/.port
            """)
        guard started.status == 0, let port = Int(started.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KeelError("the test HTTP server did not start on \(host): \(started.stderr)")
        }
        return ("http://127.0.0.1:\(port)", { _ = try? lab.exec(host, "kill $(cat \(root)/.server.pid) 2>/dev/null; true") })
    }

    /// The server on this machine's loopback, serving `/files/` from `root`.
    final class Local: @unchecked Sendable {
        let process = Process()
        let url: String

        init(root: String) throws {
            let scriptPath = root + "/.server.py", portPath = root + "/.port"
            try WebTestServer.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
            process.arguments = [scriptPath, root, portPath]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            for _ in 0..<100 {
                if let text = try? String(contentsOfFile: portPath, encoding: .utf8), let port = Int(text) {
                    url = "http://127.0.0.1:\(port)"
                    return
                }
                usleep(50_000)
            }
            kill(process.processIdentifier, SIGKILL)
            throw KeelError("the local test HTTP server did not start")
        }

        /// SIGKILL: a child of the test runner may inherit a blocked SIGTERM and never exit.
        func stop() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }
}
