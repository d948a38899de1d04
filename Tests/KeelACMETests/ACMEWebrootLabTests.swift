import Foundation
import KeelACME
import KeelBase
import KeelModules
import OrderedCollections
import Testing

/// The acme module through the webroot responder, run as a task is (ModuleRunner), against pebble.
extension ACMELabTests {
@Suite("acme: webroot HTTP-01 against pebble") struct ACMEWebrootLabTests {
    static let keyPath = "/etc/ssl/keel-acme/web.key"
    static let certPath = "/etc/ssl/keel-acme/web.crt"
    static let chainPath = "/etc/ssl/keel-acme/web.chain.pem"
    static let fullchainPath = "/etc/ssl/keel-acme/web.fullchain.pem"

    func webrootArguments(_ ca: PebbleCA, _ extra: OrderedDictionary<String, Value> = [:]) -> OrderedDictionary<String, Value> {
        var more: OrderedDictionary<String, Value> = ["webroot": "/var/www/html", "privatekey_path": .string(Self.keyPath),
                                                       "dest": .string(Self.certPath), "chain_dest": .string(Self.chainPath),
                                                       "fullchain_dest": .string(Self.fullchainPath)]
        for (k, v) in extra { more[k] = v }
        return ca.arguments(["web.acme.test", "www.acme.test"], more)
    }

    @Test func issuesVerifiesAndConverges() async throws {
        let (host, ca, rootFile) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        // The combined file is what the HTTPS frontend of ACMELabHost.haproxyConfig serves.
        let arguments = webrootArguments(ca, ["combined_dest": "/etc/haproxy/certs/site.pem"])

        let predicted = try await host.run(ACMECertificateModule.self, arguments, .check)
        #expect(predicted.changed && !predicted.failed)
        #expect(predicted.values["msg"] == "would issue")
        #expect(try host.exec("ls /etc/ssl/keel-acme 2>/dev/null | wc -l").trimmingCharacters(in: .whitespacesAndNewlines) == "0", "check mode wrote files")

        let started = Date()
        let applied = try await host.run(ACMECertificateModule.self, arguments)
        print("acme webroot: issuance for 2 names (account, order, 2 HTTP-01, finalize, download, 5 files) took \(String(format: "%.2f", Date().timeIntervalSince(started))) s")
        #expect(applied.changed && !applied.failed, "\(applied.message ?? "")")
        #expect(applied.values["msg"] == "issued")
        #expect(applied.diffs == predicted.diffs)

        let certificate = try host.exec("cat \(Self.certPath)"), chain = try host.exec("cat \(Self.chainPath)")
        let root = try String(contentsOfFile: rootFile, encoding: .utf8)
        #expect(try host.verify(certificate: certificate, chain: chain, root: root).contains("cert.pem: OK"))
        #expect(try ACMELabHost.namesAndKeyType(certificate).names == ["web.acme.test", "www.acme.test"])
        #expect(try host.exec("stat -c %a \(Self.keyPath) /etc/haproxy/certs/site.pem") == "600\n600\n")
        #expect(try host.exec("stat -c %a \(Self.certPath)") == "644\n")
        #expect(try host.exec("ls -A /var/www/html/.well-known/acme-challenge | wc -l") == "0\n", "the challenge answers were left behind")
        #expect(try host.exec("find /etc/ssl/keel-acme -name '.keel-tmp*' | wc -l") == "0\n")

        // HAProxy serves it: curl trusting pebble's root only.
        try host.serveHTTPS()
        let served = host.curlHTTPS(name: "www.acme.test", rootFile: rootFile)
        #expect(served.ok && served.output == "home\n", "\(served.output)")

        let key = try host.exec("cat \(Self.keyPath)")
        let again = try await host.run(ACMECertificateModule.self, arguments)
        #expect(!again.changed && !again.failed, "second run: \(again.values["msg"] ?? "")")
        let againCheck = try await host.run(ACMECertificateModule.self, arguments, .check)
        #expect(!againCheck.changed)

        // A deleted derived file comes back from the certificate, without an order (the certificate stays).
        try host.exec("rm \(Self.chainPath)")
        let repaired = try await host.run(ACMECertificateModule.self, arguments)
        #expect(repaired.changed)
        #expect(try host.exec("cat \(Self.chainPath)") == chain)
        #expect(try host.exec("cat \(Self.certPath)") == certificate)
        #expect(try host.exec("cat \(Self.fullchainPath)") == certificate + chain)

        // New names: a new certificate, the same key.
        let more = ca.arguments(["web.acme.test", "www.acme.test", "api.acme.test"], arguments.filter { $0.key != "domains" })
        let reissuePrediction = try await host.run(ACMECertificateModule.self, more, .check)
        #expect(reissuePrediction.values["msg"]?.stringValue?.hasPrefix("would reissue (names") == true)
        let reissued = try await host.run(ACMECertificateModule.self, more)
        #expect(reissued.changed && !reissued.failed, "\(reissued.message ?? "")")
        #expect(try ACMELabHost.namesAndKeyType(host.exec("cat \(Self.certPath)")).names == ["api.acme.test", "web.acme.test", "www.acme.test"])
        #expect(try host.exec("cat \(Self.keyPath)") == key, "the key was replaced")
    }

    @Test func aKeyMadeByOpenSSLPrivateKeyIsKept() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        let made = try await host.run(OpenSSLPrivateKeyModule.self, ["path": "/etc/ssl/keel-acme/rsa.key", "type": "RSA", "size": 2048])
        #expect(made.changed)
        let key = try host.exec("cat /etc/ssl/keel-acme/rsa.key")
        let issued = try await host.run(ACMECertificateModule.self, ca.arguments(["rsa.acme.test"], [
            "webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/rsa.key", "fullchain_dest": "/etc/ssl/keel-acme/rsa.pem"]))
        #expect(issued.changed && !issued.failed, "\(issued.message ?? "")")
        #expect(try host.exec("cat /etc/ssl/keel-acme/rsa.key") == key, "the given key was replaced")
        #expect(try ACMELabHost.namesAndKeyType(host.exec("cat /etc/ssl/keel-acme/rsa.pem")).keyType.contains("rsaEncryption"))
    }

    @Test func anUnanswerableChallengeReportsTheValidationErrorAndWritesNothing() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        // The web server serves /var/www/html; answers put elsewhere are never found: pebble's VA gets a 404.
        let arguments = webrootArguments(ca, ["webroot": "/srv/not-served"])
        let error = await host.failure(ACMECertificateModule.self, arguments)
        print("acme unanswerable challenge: \(error ?? "no error")")
        #expect(error?.contains("could not validate") == true, "\(error ?? "no error")")
        #expect(error?.contains("urn:ietf:params:acme:error:") == true, "\(error ?? "")")
        #expect(error?.contains("404") == true, "the VA's detail is missing: \(error ?? "")")
        #expect(try host.exec("ls /etc/ssl/keel-acme 2>/dev/null | wc -l") == "0\n", "a failed order left files")
        #expect(try host.exec("ls -A /srv/not-served/.well-known/acme-challenge 2>/dev/null | wc -l") == "0\n", "the answer was not taken down")
    }

    @Test func aStoppedHAProxyFailsTheHAProxyResponderClearly() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        let error = await host.failure(ACMECertificateModule.self, ca.arguments(["down.acme.test"], [
            "challenge_responder": "haproxy", "privatekey_path": "/etc/ssl/keel-acme/down.key", "combined_dest": "/etc/ssl/keel-acme/down.pem"]))
        #expect(error?.contains("HAProxy does not answer on its admin socket /run/haproxy/admin.sock") == true, "\(error ?? "no error")")
        #expect(try host.exec("ls /etc/ssl/keel-acme 2>/dev/null | wc -l") == "0\n", "a failed run left files")
    }

    @Test func aWrongDirectoryAndAnUntrustedCAFailClearly() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        let wrong = webrootArguments(ca, ["acme_directory": .string(ca.directory.replacingOccurrences(of: "/dir", with: "/no-such-directory"))])
        let wrongError = await host.failure(ACMECertificateModule.self, wrong)
        #expect(wrongError?.contains("is not an ACME directory") == true, "\(wrongError ?? "no error")")

        var untrusted = webrootArguments(ca)
        untrusted.removeValue(forKey: "ca_path")
        let untrustedError = await host.failure(ACMECertificateModule.self, untrusted)
        #expect(untrustedError?.contains("trusted by the system's store") == true, "\(untrustedError ?? "no error")")
        #expect(try host.exec("ls /etc/ssl/keel-acme 2>/dev/null | wc -l") == "0\n", "a failed run left files")
    }
}
}
