import Foundation
import KeelACME
import KeelBase
import KeelModules
import Testing

/// The protocol client alone against pebble: accounts (create, then find by key) and badNonce retries
/// against a pebble that rejects a share of good nonces on purpose (PEBBLE_WFE_NONCEREJECT).
extension ACMELabTests {
@Suite("ACME client against pebble") struct ACMEClientPebbleTests {
    @Test func anAccountIsCreatedOnceAndFoundByItsKey() async throws {
        let (_, ca, _) = try await ACMELab.shared.get()
        let key = ACMEAccountKey.generate()
        let client = ACMEClient(directoryURL: URL(string: ca.directory)!, accountKey: key, transport: CurlTransport(trust: ACMETrust(caFile: ca.listenerCAPath)))
        // Looking up an unknown key: the CA's accountDoesNotExist problem, shown whole.
        do {
            try await client.account(onlyReturnExisting: true)
            Issue.record("an unknown account was found")
        } catch let problem as ACMEProblem {
            #expect(problem.shortType == "accountDoesNotExist")
            #expect("\(problem)".contains("urn:ietf:params:acme:error:accountDoesNotExist"))
        }
        let created = try await client.account(contact: ["mailto:a@keel.test"], termsAgreed: true)
        #expect(created.status == "valid" && !created.url.isEmpty)
        let other = ACMEClient(directoryURL: URL(string: ca.directory)!, accountKey: key, transport: CurlTransport(trust: ACMETrust(caFile: ca.listenerCAPath)))
        let found = try await other.account(onlyReturnExisting: true)
        #expect(found.url == created.url)
    }

    @Test func theCATrustIsTheUsersChoice() async throws {
        let (_, ca, _) = try await ACMELab.shared.get()
        let url = URL(string: ca.directory)!
        let system = ACMEClient(directoryURL: url, accountKey: .generate(), transport: CurlTransport(trust: ACMETrust()))
        await #expect { try await system.directory() } throws: { "\($0)".contains("trusted by the system's store") }
        let pinned = ACMEClient(directoryURL: url, accountKey: .generate(), transport: CurlTransport(trust: ACMETrust(caFile: ca.listenerCAPath)))
        #expect(try await pinned.directory().newAccount.hasPrefix("https://127.0.0.1:"))
        let unchecked = ACMEClient(directoryURL: url, accountKey: .generate(), transport: CurlTransport(trust: ACMETrust(validateCertificates: false)))
        #expect(try await unchecked.directory().newOrder.hasPrefix("https://127.0.0.1:"))
    }

    @Test func externalAccountBindingIsRequiredAndAccepted() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        let macKey = Base64URL.encode(Data((0..<32).map { UInt8($0) }))
        let binding = try PebbleCA(defaultAddress: host.address, macKeys: ["kid-keel": macKey])
        defer { binding.stop() }
        let transport = CurlTransport(trust: ACMETrust(caFile: binding.listenerCAPath))
        let without = ACMEClient(directoryURL: URL(string: binding.directory)!, accountKey: .generate(), transport: transport)
        await #expect { try await without.account(termsAgreed: true) } throws: { "\($0)".contains("requires external account binding") }

        let wrongKey = ACMEClient(directoryURL: URL(string: binding.directory)!, accountKey: .generate(), transport: transport)
        await #expect { try await wrongKey.account(termsAgreed: true, externalAccountBinding: ExternalAccountBinding(keyIdentifier: "kid-keel", macKey: Base64URL.encode(Data(repeating: 7, count: 32)))) } throws: {
            ($0 as? ACMEProblem)?.type.hasPrefix("urn:ietf:params:acme:error:") == true
        }

        let with = ACMEClient(directoryURL: URL(string: binding.directory)!, accountKey: .generate(), transport: transport)
        let account = try await with.account(termsAgreed: true, externalAccountBinding: ExternalAccountBinding(keyIdentifier: "kid-keel", macKey: macKey))
        #expect(account.status == "valid")
    }

    /// The module's `external_account_binding` argument reaches the CA: refused without it, issued with it.
    @Test func theModulePassesTheExternalAccountBinding() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        let macKey = Base64URL.encode(Data((0..<32).map { UInt8(255 - $0) }))
        let binding = try PebbleCA(defaultAddress: host.address, macKeys: ["kid-module": macKey])
        defer { binding.stop() }
        try host.reset()
        try host.startHTTPOnly()
        let arguments = binding.arguments(["eab.acme.test"], ["webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/eab.key",
                                                              "dest": "/etc/ssl/keel-acme/eab.crt", "account_key_content": .string(ACMEAccountKey.generate().pem)])
        let refused = await host.failure(ACMECertificateModule.self, arguments)
        #expect(refused?.contains("requires external account binding") == true, "\(refused ?? "no error")")
        var bound = arguments
        bound["external_account_binding"] = ["kid": "kid-module", "key": .string(macKey)]
        let issued = try await host.run(ACMECertificateModule.self, bound)
        #expect(issued.changed && !issued.failed, "\(issued.message ?? "")")
        #expect(try host.exec("test -s /etc/ssl/keel-acme/eab.crt && echo yes") == "yes\n")
    }

    @Test func badNoncesAreRetriedAndReportedWhenRetriesRunOut() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        let rejecting = try PebbleCA(defaultAddress: host.address, environment: ["PEBBLE_WFE_NONCEREJECT": "20"])
        defer { rejecting.stop() }
        let transport = CurlTransport(trust: ACMETrust(caFile: rejecting.listenerCAPath))
        let client = ACMEClient(directoryURL: URL(string: rejecting.directory)!, accountKey: .generate(), transport: transport)
        await client.setBadNonceRetries(10)
        try await client.account(termsAgreed: true)
        for _ in 0..<40 { _ = try await client.newOrder(domains: ["nonce.acme.test"]) }
        let retried = await client.badNoncesRetried
        #expect(retried > 0, "pebble rejected no nonce in 41 requests at 20%")

        let strict = ACMEClient(directoryURL: URL(string: rejecting.directory)!, accountKey: .generate(), transport: transport)
        await strict.setBadNonceRetries(0)
        do {
            try await strict.account(termsAgreed: true)
            for _ in 0..<40 { _ = try await strict.newOrder(domains: ["nonce.acme.test"]) }
            Issue.record("41 requests without retries all passed a CA rejecting 20% of nonces")
        } catch let problem as ACMEProblem {
            #expect(problem.shortType == "badNonce", "\(problem)")
            #expect("\(problem)".contains("urn:ietf:params:acme:error:badNonce"))
        }
    }

    /// Every nonce refused: the task fails with the CA's badNonce problem once its retries ran out, and writes nothing.
    @Test func theModuleFailsClearlyAgainstACARejectingEveryNonceAndWritesNothing() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        let rejecting = try PebbleCA(defaultAddress: host.address, environment: ["PEBBLE_WFE_NONCEREJECT": "100"])
        defer { rejecting.stop() }
        try host.reset()
        try host.startHTTPOnly()
        let error = await host.failure(ACMECertificateModule.self, rejecting.arguments(["nonce.acme.test"], [
            "webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/nonce.key", "dest": "/etc/ssl/keel-acme/nonce.crt"]))
        #expect(error?.contains("urn:ietf:params:acme:error:badNonce") == true, "\(error ?? "no error")")
        #expect(try host.exec("ls /etc/ssl/keel-acme 2>/dev/null | wc -l") == "0\n", "a failed run left files")
    }

    @Test func theModuleGetsItsCertificateFromACARejectingNonces() async throws {
        let (host, _, _) = try await ACMELab.shared.get()
        let rejecting = try PebbleCA(defaultAddress: host.address, environment: ["PEBBLE_WFE_NONCEREJECT": "25"])
        defer { rejecting.stop() }
        try host.reset()
        try host.startHTTPOnly()
        let result = try await host.run(ACMECertificateModule.self, rejecting.arguments(["nonce.acme.test"], [
            "webroot": "/var/www/html", "privatekey_path": "/etc/ssl/keel-acme/nonce.key", "dest": "/etc/ssl/keel-acme/nonce.crt"]))
        #expect(result.changed && !result.failed, "\(result.message ?? "")")
        #expect(try host.exec("test -s /etc/ssl/keel-acme/nonce.crt && echo yes") == "yes\n")
    }
}
}
