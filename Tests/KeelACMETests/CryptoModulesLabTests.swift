import Foundation
import KeelBase
import KeelModules
import KeelTestSupport
import OrderedCollections
import Testing

/// openssl_privatekey, openssl_privatekey_info and x509_certificate_info on the lab host, checked with
/// openssl on this machine, and the two info modules compared with community.crypto's, which runs here
/// (connection local, the oracle virtualenv has Python's cryptography) on the same files.
extension ACMELabTests {
@Suite("community.crypto helpers: private keys and certificate info") struct CryptoModulesLabTests {
    static let keyPath = "/etc/ssl/keel-crypto/site.key"

    /// The file's text, copied to this machine for openssl and community.crypto.
    func localCopy(_ host: ACMELabHost, _ path: String) throws -> String {
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crypto-\(UUID().uuidString.prefix(8)).pem").path
        try host.exec("cat \(path)").write(toFile: local, atomically: true, encoding: .utf8)
        return local
    }

    /// community.crypto's module run here on a local file (ad hoc, connection local).
    func oracle(_ module: String, _ arguments: String) throws -> Value {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crypto-ansible-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let (status, output) = try AnsibleTool.run("ansible", ["localhost", "-c", "local", "-m", module, "-a", arguments], home: home)
        guard status == 0 else { throw PebbleCA.Failure("ansible \(module) exited \(status): \(output)") }
        return try AnsibleTool.adHocResult(output)
    }

    /// Ansible prints JSON with sorted keys; Keel keeps the order given. Compared as sets of keys.
    func sortedKeys(_ value: Value?) -> Value? {
        guard case .dict(let d)? = value else { return value }
        return .dict(OrderedDictionary(uniqueKeysWithValues: d.sorted { $0.key < $1.key }.map { ($0.key, sortedKeys($0.value) ?? .null) }))
    }

    @Test func aKeyIsMadeOnceKeptAndReplacedOnlyWhenItsTypeChanges() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        try host.exec("rm -rf /etc/ssl/keel-crypto")
        let ecc: OrderedDictionary<String, Value> = ["path": .string(Self.keyPath), "type": "ECC", "curve": "secp384r1"]
        let predicted = try await host.run(OpenSSLPrivateKeyModule.self, ecc, .check)
        #expect(predicted.changed)
        #expect(try host.exec("ls /etc/ssl/keel-crypto 2>/dev/null | wc -l") == "0\n")
        let made = try await host.run(OpenSSLPrivateKeyModule.self, ecc)
        #expect(made.changed && !made.failed, "\(made.message ?? "")")
        #expect(made.values["curve"] == "secp384r1" && made.values["type"] == "ECC")
        #expect(try host.exec("stat -c %a \(Self.keyPath)") == "600\n")
        let local = try localCopy(host, Self.keyPath)
        #expect(try PebbleCA.shell("openssl pkey -in \(local) -noout -text").contains("secp384r1"))
        #expect(made.values["public_key"]?.stringValue == (try PebbleCA.shell("openssl pkey -in \(local) -pubout")))
        let key = try host.exec("cat \(Self.keyPath)")

        let again = try await host.run(OpenSSLPrivateKeyModule.self, ecc)
        #expect(!again.changed && again.values["public_key"] == made.values["public_key"])
        #expect(try host.exec("cat \(Self.keyPath)") == key)

        // Only the mode differs: only the mode changes.
        var loose = ecc
        loose["mode"] = "0640"
        #expect(try await host.run(OpenSSLPrivateKeyModule.self, loose).changed)
        #expect(try host.exec("stat -c %a \(Self.keyPath)") == "640\n" && host.exec("cat \(Self.keyPath)") == key)

        // Another type: regenerate never keeps it, fail refuses, the default replaces it.
        var rsa: OrderedDictionary<String, Value> = ["path": .string(Self.keyPath), "type": "RSA", "size": 2048, "regenerate": "never"]
        #expect(try await !host.run(OpenSSLPrivateKeyModule.self, rsa).changed)
        rsa["regenerate"] = "fail"
        let refused = try? await host.run(OpenSSLPrivateKeyModule.self, rsa)
        #expect(refused == nil || refused?.failed == true, "regenerate: fail replaced a key of another type")
        rsa.removeValue(forKey: "regenerate")
        let replaced = try await host.run(OpenSSLPrivateKeyModule.self, rsa)
        #expect(replaced.changed && replaced.values["type"] == "RSA" && replaced.values["size"] == 2048)
        #expect(try PebbleCA.shell("openssl pkey -in \(try localCopy(host, Self.keyPath)) -noout -text").contains("2048 bit"))

        rsa["state"] = "absent"
        #expect(try await host.run(OpenSSLPrivateKeyModule.self, rsa).changed)
        #expect(try host.exec("test -e \(Self.keyPath) && echo present || echo absent") == "absent\n")
    }

    @Test(arguments: [("ECC", "secp256r1"), ("RSA", ""), ("Ed25519", "")])
    func keyInfoMatchesCommunityCrypto(type: String, curve: String) async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        var arguments: OrderedDictionary<String, Value> = ["path": .string(Self.keyPath), "type": .string(type), "size": 2048, "force": true]
        if !curve.isEmpty { arguments["curve"] = .string(curve) }
        let made = try await host.run(OpenSSLPrivateKeyModule.self, arguments)
        #expect(made.changed && !made.failed, "\(made.message ?? "")")
        let keel = try await host.run(OpenSSLPrivateKeyInfoModule.self, ["path": .string(Self.keyPath)])
        let local = try localCopy(host, Self.keyPath)
        let theirs = try oracle("community.crypto.openssl_privatekey_info", "path=\(local)")
        for field in ["can_parse_key", "type", "public_key"] {
            #expect(keel.values[field] == theirs[field], "\(field): keel \(keel.values[field] ?? .null), community.crypto \(theirs[field] ?? .null)")
        }
        for field in ["size", "curve", "exponent_size"] {
            #expect(keel.values["public_data"]?[field] == theirs["public_data"]?[field], "public_data.\(field)")
        }
        #expect(keel.values["public_key_fingerprints"]?["sha256"] == theirs["public_key_fingerprints"]?["sha256"])
        #expect(made.values["fingerprint"]?["sha256"] == theirs["public_key_fingerprints"]?["sha256"])
    }

    @Test func certificateInfoMatchesCommunityCrypto() async throws {
        let (host, ca, _) = try await ACMELab.shared.get()
        try host.reset()
        try host.startHTTPOnly()
        let issued = try await host.run(ACMECertificateModule.self, ca.arguments(["info.acme.test", "www.info.acme.test"], [
            "webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/info.key", "fullchain_dest": "/etc/ssl/keel-acme/info.pem"]))
        #expect(issued.changed && !issued.failed, "\(issued.message ?? "")")
        let keel = try await host.run(X509CertificateInfoModule.self, ["path": "/etc/ssl/keel-acme/info.pem", "valid_at": ["now": "+0s", "in_ten_years": "+3650d"]])
        let local = try localCopy(host, "/etc/ssl/keel-acme/info.pem")
        let theirs = try oracle("community.crypto.x509_certificate_info", #"{"path": "\#(local)", "valid_at": {"now": "+0s", "in_ten_years": "+3650d"}}"#)
        for field in ["not_before", "not_after", "expired", "subject_alt_name", "serial_number", "public_key", "public_key_type", "valid_at",
                      "authority_key_identifier", "subject_key_identifier", "subject", "issuer", "version"] {
            #expect(sortedKeys(keel.values[field]) == sortedKeys(theirs[field]), "\(field): keel \(keel.values[field] ?? .null), community.crypto \(theirs[field] ?? .null)")
        }
        #expect(keel.values["fingerprints"]?["sha256"] == theirs["fingerprints"]?["sha256"])
    }

    @Test func anOwnCAIsMadeAndSignsASiteCertificateThatOpenSSLVerifies() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        try host.exec("rm -rf /etc/ssl/keel-ca")
        let d = "/etc/ssl/keel-ca"
        let tasks: [(String, OrderedDictionary<String, Value>)] = [
            ("openssl_privatekey", ["path": .string("\(d)/ca.key"), "type": "ECC", "curve": "secp256r1"]),
            ("openssl_csr", ["path": .string("\(d)/ca.csr"), "privatekey_path": .string("\(d)/ca.key"), "common_name": "Keel Test CA",
                             "organization_name": "Keel", "basic_constraints": ["CA:TRUE"], "use_common_name_for_san": false]),
            ("x509_certificate", ["path": .string("\(d)/ca.crt"), "csr_path": .string("\(d)/ca.csr"), "privatekey_path": .string("\(d)/ca.key"), "provider": "selfsigned"]),
            ("openssl_privatekey", ["path": .string("\(d)/site.key"), "type": "RSA", "size": 2048]),
            ("openssl_csr", ["path": .string("\(d)/site.csr"), "privatekey_path": .string("\(d)/site.key"), "common_name": "site.keel.test",
                             "subject_alt_name": ["DNS:site.keel.test", "DNS:www.site.keel.test", "IP:198.18.0.1"]]),
            ("x509_certificate", ["path": .string("\(d)/site.crt"), "csr_path": .string("\(d)/site.csr"), "provider": "ownca",
                                  "ownca_path": .string("\(d)/ca.crt"), "ownca_privatekey_path": .string("\(d)/ca.key"), "ownca_not_after": "+90d"]),
        ]
        func run(_ name: String, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
            switch name {
            case "openssl_privatekey": return try await host.run(OpenSSLPrivateKeyModule.self, arguments, mode)
            case "openssl_csr": return try await host.run(OpenSSLCSRModule.self, arguments, mode)
            default: return try await host.run(X509CertificateModule.self, arguments, mode)
            }
        }
        for (name, arguments) in tasks {
            let started = Date()
            defer { print("crypto CA chain: \(name) took \(String(format: "%.2f", Date().timeIntervalSince(started))) s") }
            let result = try await run(name, arguments)
            #expect(result.changed && !result.failed, "\(name): \(result.message ?? "")")
        }
        for (name, arguments) in tasks {
            let again = try await run(name, arguments)
            #expect(!again.changed && !again.failed, "\(name) changed on the second run")
            let predicted = try await run(name, arguments, .check)
            #expect(!predicted.changed, "\(name): check mode predicted a change on a converged host")
        }
        let ca = try localCopy(host, "\(d)/ca.crt"), site = try localCopy(host, "\(d)/site.crt")
        #expect(try PebbleCA.shell("openssl verify -CAfile \(ca) \(site) 2>&1").hasSuffix(": OK\n"))
        #expect(try PebbleCA.shell("openssl verify -CAfile \(ca) \(ca) 2>&1").hasSuffix(": OK\n"))
        let caText = try ACMELabHost.x509Text(try String(contentsOfFile: ca, encoding: .utf8))
        #expect(caText.contains("CA:TRUE") && caText.contains("Subject: O = Keel, CN = Keel Test CA"), "\(caText)")
        let siteText = try ACMELabHost.x509Text(try String(contentsOfFile: site, encoding: .utf8))
        #expect(siteText.contains("DNS:site.keel.test, DNS:www.site.keel.test, IP Address:198.18.0.1"), "\(siteText)")
        #expect(siteText.contains("Issuer: O = Keel, CN = Keel Test CA"))

        // openssl_csr_info says what community.crypto's says about both CSRs.
        for csrPath in ["\(d)/ca.csr", "\(d)/site.csr"] {
            let keel = try await host.run(OpenSSLCSRInfoModule.self, ["path": .string(csrPath)])
            let theirs = try oracle("community.crypto.openssl_csr_info", "path=\(try localCopy(host, csrPath))")
            for field in ["subject", "subject_alt_name", "basic_constraints", "public_key", "public_key_type", "signature_valid"] {
                #expect(sortedKeys(keel.values[field]) == sortedKeys(theirs[field]), "\(csrPath) \(field): keel \(keel.values[field] ?? .null), community.crypto \(theirs[field] ?? .null)")
            }
            #expect(keel.values["public_key_fingerprints"]?["sha256"] == theirs["public_key_fingerprints"]?["sha256"])
            for field in ["size", "curve", "exponent_size"] {  // x, y, modulus: integers Keel's values cannot hold
                #expect(keel.values["public_key_data"]?[field] == theirs["public_key_data"]?[field], "public_key_data.\(field)")
            }
        }

        // Another name in the CSR: a new CSR, then a new certificate.
        var csr = tasks[4].1
        csr["subject_alt_name"] = ["DNS:site.keel.test"]
        #expect(try await run("openssl_csr", csr).changed)
        #expect(try await run("x509_certificate", tasks[5].1, .check).changed)
        #expect(try await run("x509_certificate", tasks[5].1).changed)
        #expect(try ACMELabHost.namesAndKeyType(host.exec("cat \(d)/site.crt")).names == ["site.keel.test"])

        // openssl_csr_pipe: the CSR that fits comes back unchanged; another common name gives a new one.
        let current = try host.exec("cat \(d)/site.csr")
        let pipe: OrderedDictionary<String, Value> = ["privatekey_path": .string("\(d)/site.key"), "common_name": "site.keel.test",
                                                       "subject_alt_name": ["DNS:site.keel.test"], "content": .string(current)]
        let same = try await host.run(OpenSSLCSRPipeModule.self, pipe)
        #expect(!same.changed && same.values["csr"]?.stringValue == current)
        var renamed = pipe
        renamed["common_name"] = "other.keel.test"
        renamed["subject_alt_name"] = ["DNS:other.keel.test"]
        let predicted = try await host.run(OpenSSLCSRPipeModule.self, renamed, .check)
        let fresh = try await host.run(OpenSSLCSRPipeModule.self, renamed)
        #expect(predicted.changed && fresh.changed)
        let local = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crypto-pipe-\(UUID().uuidString.prefix(8)).csr").path
        try (fresh.values["csr"]?.stringValue ?? "").write(toFile: local, atomically: true, encoding: .utf8)
        let text = try PebbleCA.shell("openssl req -in \(local) -noout -text -verify 2>&1")
        #expect(text.contains("CN = other.keel.test") && text.contains("DNS:other.keel.test"), "\(text)")
        #expect(try host.exec("cat \(d)/site.csr") == current, "the pipe wrote a file")

        // x509_certificate_pipe: the certificate on file still fits; for the new CSR (as text) a new one, signed by the CA.
        let siteCertificate = try host.exec("cat \(d)/site.crt")
        let ownca: OrderedDictionary<String, Value> = ["provider": "ownca", "ownca_path": .string("\(d)/ca.crt"), "ownca_privatekey_path": .string("\(d)/ca.key")]
        var kept = ownca
        kept["csr_path"] = .string("\(d)/site.csr")
        kept["content"] = .string(siteCertificate)
        let keptResult = try await host.run(X509CertificatePipeModule.self, kept)
        #expect(!keptResult.changed && keptResult.values["certificate"]?.stringValue == siteCertificate)
        var signed = ownca
        signed["csr_content"] = fresh.values["csr"] ?? .null
        signed["content"] = .string(siteCertificate)
        let signedResult = try await host.run(X509CertificatePipeModule.self, signed)
        #expect(signedResult.changed)
        let signedFile = FileManager.default.temporaryDirectory.appendingPathComponent("keel-crypto-pipe-\(UUID().uuidString.prefix(8)).crt").path
        try (signedResult.values["certificate"]?.stringValue ?? "").write(toFile: signedFile, atomically: true, encoding: .utf8)
        #expect(try PebbleCA.shell("openssl verify -CAfile \(ca) \(signedFile) 2>&1").hasSuffix(": OK\n"))
        #expect(try ACMELabHost.namesAndKeyType(String(contentsOfFile: signedFile, encoding: .utf8)).names == ["other.keel.test"])
    }

    @Test func dhParametersAreMadeOnceAndRemadeForAnotherSize() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        try host.exec("rm -f /etc/ssl/keel-dh.pem")
        let small: OrderedDictionary<String, Value> = ["path": "/etc/ssl/keel-dh.pem", "size": 512]
        #expect(try await host.run(OpenSSLDHParamModule.self, small, .check).changed)
        #expect(try host.exec("test -e /etc/ssl/keel-dh.pem && echo yes || echo no") == "no\n")
        #expect(try await host.run(OpenSSLDHParamModule.self, small).changed)
        #expect(try host.exec("openssl dhparam -in /etc/ssl/keel-dh.pem -noout -text | head -n 1").contains("(512 bit)"))
        #expect(try await !host.run(OpenSSLDHParamModule.self, small).changed)
        #expect(try await host.run(OpenSSLDHParamModule.self, ["path": "/etc/ssl/keel-dh.pem", "size": 768]).changed)
        #expect(try host.exec("openssl dhparam -in /etc/ssl/keel-dh.pem -noout -text | head -n 1").contains("(768 bit)"))
    }
}
}
