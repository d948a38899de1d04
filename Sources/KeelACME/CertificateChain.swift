import Foundation
import SwiftASN1
import X509

/// A PEM chain as the CA sent it (leaf first), read for what renewal decides on: names, expiry, key.
public struct CertificateChain: Sendable {
    /// Each certificate's PEM block, in order, normalised to end with a newline.
    public let pemBlocks: [String]
    public let leaf: Certificate

    public init(pem: String) throws {
        var blocks: [String] = []
        var rest = Substring(pem)
        while let begin = rest.range(of: "-----BEGIN CERTIFICATE-----"), let end = rest.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<rest.endIndex) {
            blocks.append(String(rest[begin.lowerBound..<end.upperBound]) + "\n")
            rest = rest[end.upperBound...]
        }
        guard let first = blocks.first else {
            throw ACMEError("no certificate in the PEM text", expected: "-----BEGIN CERTIFICATE-----", found: String(pem.prefix(40)))
        }
        pemBlocks = blocks
        do { leaf = try Certificate(pemEncoded: first) } catch {
            throw ACMEError("the certificate cannot be read", expected: "an X.509 certificate in PEM", found: "\(error)")
        }
    }

    public var leafPEM: String { pemBlocks[0] }
    /// The issuers, without the leaf.
    public var chainPEM: String { pemBlocks.dropFirst().joined() }
    public var fullChainPEM: String { pemBlocks.joined() }

    /// The DNS names of subjectAltName (sorted; the common name is ignored, as browsers do).
    public var dnsNames: [String] {
        guard let names = try? leaf.extensions.subjectAlternativeNames else { return [] }
        return names.compactMap { if case .dnsName(let n) = $0 { n.lowercased() } else { nil } }.sorted()
    }

    public var notAfter: Date { leaf.notValidAfter }
    public var notBefore: Date { leaf.notValidBefore }

    /// ARI's certificate identifier (RFC 9773 §4.1): base64url(authority key id) "." base64url(serial).
    public var renewalIdentifier: String? {
        guard let aki = try? leaf.extensions.authorityKeyIdentifier, let keyID = aki.keyIdentifier else { return nil }
        return Base64URL.encode(Data(keyID)) + "." + Base64URL.encode(Data(leaf.serialNumber.bytes))
    }

    /// Whole days until the certificate expires (negative once it has).
    public func daysLeft(at now: Date = Date()) -> Int { Int((notAfter.timeIntervalSince(now) / 86400).rounded(.down)) }
}
