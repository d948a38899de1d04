import Foundation
import KeelBase
import KeelModules
import OrderedCollections
import Testing

/// ACME Renewal Information. Debian's pebble (2.4) offers none, so a small directory on this machine does,
/// for a certificate pebble issued: it answers renewalInfo with the window the test writes, and logs the
/// certificate identifiers it was asked for (compared with what openssl reads from the certificate).
extension ACMELabTests {
@Suite("acme: ARI renewal windows") struct ACMERenewalInfoLabTests {
    static let server = #"""
        import http.server, json, sys, os
        base = sys.argv[2]
        class H(http.server.BaseHTTPRequestHandler):
            def log_message(self, *a): pass
            def do_GET(self):
                if self.path == "/dir":
                    body = {"newNonce": base + "/nonce", "newAccount": base + "/acct", "newOrder": base + "/order",
                            "renewalInfo": base + "/renewal-info"}
                elif self.path.startswith("/renewal-info/"):
                    open(os.path.join(sys.argv[3], "asked"), "a").write(self.path.split("/")[-1] + "\n")
                    body = json.load(open(os.path.join(sys.argv[3], "window.json")))
                else:
                    self.send_response(404); self.end_headers(); return
                data = json.dumps(body).encode()
                self.send_response(200); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
        """#

    @Test func aRenewalWindowThatOpenedRenewsOneNotYetOpenDoesNot() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        let paths: OrderedDictionary<String, Value> = ["webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/ari.key",
                                                        "fullchain_dest": "/etc/ssl/keel-acme/ari.pem"]
        let issued = try await host.run(ACMECertificateModule.self, ca.arguments(["ari.acme.test"], paths))
        #expect(issued.changed && !issued.failed, "\(issued.message ?? "")")

        let directory = ca.workDirectory + "/ari"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try Self.server.write(toFile: directory + "/server.py", atomically: true, encoding: .utf8)
        let port = try PebbleCA.freePort()
        let process = try PebbleCA.start(["python3", directory + "/server.py", "\(port)", "http://127.0.0.1:\(port)", directory],
                                         log: directory + "/server.log", environment: [:])
        defer { PebbleCA.kill(process) }
        let ariDirectory = "http://127.0.0.1:\(port)/dir"
        for _ in 0..<100 where (try? PebbleCA.shell("curl -fsS -o /dev/null \(ariDirectory)")) == nil { try await Task.sleep(for: .milliseconds(100)) }

        var arguments = ca.arguments(["ari.acme.test"], paths)
        arguments["acme_directory"] = .string(ariDirectory)
        try #"{"suggestedWindow": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}}"#
            .write(toFile: directory + "/window.json", atomically: true, encoding: .utf8)
        let due = try await host.run(ACMECertificateModule.self, arguments, .check)
        #expect(due.changed && due.values["msg"] == "would renew (the CA's renewal window opened 2020-01-01T00:00:00Z)", "\(due.values["msg"] ?? "")")

        try #"{"suggestedWindow": {"start": "2999-01-01T00:00:00Z", "end": "2999-01-02T00:00:00Z"}}"#
            .write(toFile: directory + "/window.json", atomically: true, encoding: .utf8)
        let notYet = try await host.run(ACMECertificateModule.self, arguments, .check)
        #expect(!notYet.changed && !notYet.failed, "\(notYet.values["msg"] ?? "")")

        arguments["ari"] = false
        try #"{"suggestedWindow": {"start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"}}"#
            .write(toFile: directory + "/window.json", atomically: true, encoding: .utf8)
        let off = try await host.run(ACMECertificateModule.self, arguments, .check)
        #expect(!off.changed, "ari: false still asked the CA")

        // The identifier asked for is RFC 9773's: base64url(authority key identifier) "." base64url(serial), from openssl's reading.
        let pem = try host.exec("cat /etc/ssl/keel-acme/ari.pem")
        let text = try ACMELabHost.x509Text(pem)
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let akiLine = lines[(lines.firstIndex { $0.hasPrefix("X509v3 Authority Key Identifier") } ?? 0) + 1].replacingOccurrences(of: "keyid:", with: "")
        let serialHex = try PebbleCA.shell("openssl x509 -noout -serial <<'PEM'\n\(pem)PEM").replacingOccurrences(of: "serial=", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        func bytes(_ hex: String) -> Data { Data(stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }) }
        var serial = bytes(serialHex.count % 2 == 1 ? "0" + serialHex : serialHex)
        if let first = serial.first, first & 0x80 != 0 { serial.insert(0, at: 0) }  // DER keeps the integer positive
        let expected = b64url(bytes(akiLine.replacingOccurrences(of: ":", with: ""))) + "." + b64url(serial)
        let asked = try String(contentsOfFile: directory + "/asked", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(asked == [expected, expected], "asked \(asked), expected \(expected) twice (ari: false asks nothing)")
    }

    func b64url(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
}
