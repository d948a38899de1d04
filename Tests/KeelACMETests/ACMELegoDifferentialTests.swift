import Foundation
import KeelBase
import KeelModules
import OrderedCollections
import Testing

/// Debian's lego, an independent ACME client, gets a certificate from the same pebble for the same names
/// (answering HTTP-01 itself on this machine, the names pointed here for its run); Keel gets one through the
/// lab host. openssl reads both: the same names, the same key type.
extension ACMELabTests {
@Suite("acme: lego differential") struct ACMELegoDifferentialTests {
    static let names = ["lego.acme.test", "www.lego.acme.test"]

    @Test func legoAndKeelGetCertificatesWithTheSameNamesAndKeyType() async throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lego") else {
            throw PebbleCA.Failure("/usr/bin/lego is missing: run scripts/install-deps.sh (Debian package lego)")
        }
        let (host, ca, _) = try await ACMELab.shared.get()
        let legoPath = ca.workDirectory + "/lego"
        for name in Self.names { try ca.pointName(name, to: "127.0.0.1") }
        defer { for name in Self.names { try? ca.clearName(name) } }
        try PebbleCA.shell("""
            LEGO_CA_CERTIFICATES=\(ca.listenerCAPath) timeout 120 lego --server \(ca.directory) --accept-tos --email lego@keel.test \
              --key-type ec256 --path \(legoPath) \(Self.names.map { "--domains \($0)" }.joined(separator: " ")) \
              --http --http.port 127.0.0.1:80 run 2>&1
            """)
        let legoCertificate = try String(contentsOfFile: "\(legoPath)/certificates/\(Self.names[0]).crt", encoding: .utf8)
        for name in Self.names { try ca.clearName(name) }

        try host.reset()
        try host.startHTTPOnly()
        let started = Date()
        let result = try await host.run(ACMECertificateModule.self, ca.arguments(Self.names, [
            "challenge_responder": "haproxy", "privatekey_path": "/etc/haproxy/certs/lego.key", "fullchain_dest": "/etc/haproxy/certs/lego.pem"]))
        print("acme haproxy: issuance for 2 names (account, order, 2 HTTP-01 through HAProxy's map, finalize, download, 2 files) took \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(result.changed && !result.failed, "\(result.message ?? "")")
        let keelCertificate = try host.exec("cat /etc/haproxy/certs/lego.pem")

        let lego = try ACMELabHost.namesAndKeyType(legoCertificate), keel = try ACMELabHost.namesAndKeyType(keelCertificate)
        #expect(lego.names == Self.names.sorted())
        #expect(keel.names == lego.names)
        #expect(keel.keyType == lego.keyType, "lego: \(lego.keyType), keel: \(keel.keyType)")
        #expect(keel.keyType.contains("id-ecPublicKey") && keel.keyType.contains("(256 bit)") && keel.keyType.contains("prime256v1"), "\(keel.keyType)")
    }
}
}
