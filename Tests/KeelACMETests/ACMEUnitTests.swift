import Crypto
import Foundation
import KeelBase
import KeelACME
@testable import KeelModules
import SwiftASN1
import Testing
import X509

/// What needs no CA: CSRs, problem documents, JWS shape, chains.
@Suite("ACME pieces without a CA") struct ACMEUnitTests {
    @Test(arguments: CertificateKeyType.allCases.filter { $0 != .rsa4096 && $0 != .rsa3072 })
    func aCSRCarriesTheNamesAndTheKey(type: CertificateKeyType) throws {
        let key = try CertificateKey(pem: try type.generatePEM())
        #expect(key.type == type)
        let der = try key.csr(domains: ["a.example", "b.example"])
        let csr = try CertificateSigningRequest(derEncoded: Array(der))
        #expect(csr.publicKey == key.publicKey)
        #expect(csr.publicKey.isValidSignature(csr.signature, for: csr))
        let names = try csr.attributes.extensionRequest?.extensions.subjectAlternativeNames.map { Array($0) } ?? []
        #expect(names == [.dnsName("a.example"), .dnsName("b.example")])
        #expect(csr.subject.description.contains("CN=a.example"))
    }

    @Test func aProblemDocumentShowsTypeDetailAndSubproblems() throws {
        let json = """
            {"type":"urn:ietf:params:acme:error:rejectedIdentifier","detail":"Some identifiers were rejected","status":400,
             "subproblems":[{"type":"urn:ietf:params:acme:error:malformed","detail":"Invalid underscore in DNS name","identifier":{"type":"dns","value":"_x.example"}}]}
            """
        var problem = try JSONDecoder().decode(ACMEProblem.self, from: Data(json.utf8))
        problem.context = "ordering a certificate"
        #expect("\(problem)" == """
            ordering a certificate: the CA answered urn:ietf:params:acme:error:rejectedIdentifier (HTTP 400): Some identifiers were rejected
              - dns _x.example: urn:ietf:params:acme:error:malformed: Invalid underscore in DNS name
            """)
    }

    @Test func theJWSIsFlattenedAndVerifiesWithTheJWK() throws {
        let key = ACMEAccountKey.generate()
        let body = try key.sign(payload: Data("{}".utf8), url: "https://ca/new-order", nonce: "n1", kid: nil)
        let object = try JSONSerialization.jsonObject(with: body) as! [String: String]
        let protected = try JSONSerialization.jsonObject(with: Base64URL.decode(object["protected"]!)!) as! [String: Any]
        #expect(protected["alg"] as? String == "ES256" && protected["nonce"] as? String == "n1" && protected["url"] as? String == "https://ca/new-order")
        #expect((protected["jwk"] as? [String: String])?["crv"] == "P-256")
        let signature = try P256.Signing.ECDSASignature(rawRepresentation: Base64URL.decode(object["signature"]!)!)
        #expect(key.key.publicKey.isValidSignature(signature, for: Data("\(object["protected"]!).\(object["payload"]!)".utf8)))
        let withKid = try JSONSerialization.jsonObject(with: try key.sign(payload: nil, url: "u", nonce: "n", kid: "https://ca/acct/1")) as! [String: String]
        #expect(withKid["payload"] == "")
        #expect(String(decoding: Base64URL.decode(withKid["protected"]!)!, as: UTF8.self).contains(#""kid":"https://ca/acct/1""#))
    }
}

/// The acme module's decision, on certificates made here (no CA, no host).
@Suite("acme: when to order") struct ACMERenewalDecisionTests {
    func certificate(_ names: [String], key: CertificateKey, days: Double) throws -> CertificateChain {
        let csr = try CertificateBuilder.csr(.init(commonName: names[0], organizationName: nil, countryName: nil,
                                                   subjectAltNames: names.map { "DNS:" + $0 }, isCertificateAuthority: nil), key: key)
        let leaf = try CertificateBuilder.certificate(for: csr, issuerKey: key, issuer: nil, notBefore: Date().addingTimeInterval(-86400),
                                                      notAfter: Date().addingTimeInterval(days * 86400))
        return try CertificateChain(pem: CertificateBuilder.pem(leaf))
    }

    @Test func theReasonsComeInTheOrderAPersonWouldAsk() throws {
        let key = try CertificateKey(pem: CertificateKeyType.ecdsa256.generatePEM())
        let other = try CertificateKey(pem: CertificateKeyType.ecdsa256.generatePEM())
        let fine = try certificate(["a.test", "b.test"], key: key, days: 60.5)
        func decide(_ chain: CertificateChain?, key: CertificateKey? = key, newKey: Bool = false, domains: [String] = ["b.test", "A.test"],
                    remaining: Int = 30, window: Date? = nil, force: Bool = false) -> ACMERenewalReason? {
            ACMERenewalReason.decide(chain: chain.map { .success($0) }, key: key, newKey: newKey, domains: domains, remainingDays: remaining,
                                     renewalWindowStart: window, force: force)
        }
        #expect(decide(nil) == .missing)
        #expect(decide(fine) == nil, "names compare sorted and case-insensitively")
        #expect(decide(fine, newKey: true) == .newKey)
        #expect(decide(fine, domains: ["a.test"]) == .namesDiffer(have: ["a.test", "b.test"], want: ["a.test"]))
        #expect(decide(fine, key: other) == .keyDiffers)
        #expect(decide(fine, force: true) == .forced)
        #expect(decide(fine, remaining: 61) == .expiring(daysLeft: 60))
        #expect(decide(fine, remaining: 61)?.message == "would renew (expires in 60 days)")
        let opened = Date().addingTimeInterval(-60)
        #expect(decide(fine, window: opened) == .renewalWindow(start: opened))
        #expect(decide(fine, window: Date().addingTimeInterval(3600)) == nil)
        #expect(ACMERenewalReason.decide(chain: .failure(KeelError("cut")), key: key, newKey: false, domains: ["a.test"], remainingDays: 1,
                                         renewalWindowStart: nil, force: false) == .unreadable("error: cut"))
    }
}
