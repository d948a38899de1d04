import _CryptoExtras
import Crypto
import Foundation
import SwiftASN1
import X509

/// The certificate's private key types (the names are community.crypto's `type` + `size`/`curve`, short).
public enum CertificateKeyType: String, Sendable, Codable, CaseIterable {
    case ecdsa256 = "ecdsa256", ecdsa384 = "ecdsa384", rsa2048 = "rsa2048", rsa3072 = "rsa3072", rsa4096 = "rsa4096"

    /// A new key, as PEM (PKCS#8).
    public func generatePEM() throws -> String {
        switch self {
        case .ecdsa256: return P256.Signing.PrivateKey().pemRepresentation
        case .ecdsa384: return P384.Signing.PrivateKey().pemRepresentation
        case .rsa2048: return try _RSA.Signing.PrivateKey(keySize: .bits2048).pemRepresentation
        case .rsa3072: return try _RSA.Signing.PrivateKey(keySize: .init(bitCount: 3072)).pemRepresentation
        case .rsa4096: return try _RSA.Signing.PrivateKey(keySize: .bits4096).pemRepresentation
        }
    }
}

/// A certificate's private key read from PEM, with what the module compares: type and public key.
public struct CertificateKey: Sendable {
    public let privateKey: Certificate.PrivateKey
    public let type: CertificateKeyType?

    public init(pem: String) throws {
        // swift-certificates reads PKCS#8 and SEC1; RSA PKCS#1 ("RSA PRIVATE KEY") goes through _RSA.
        if let key = try? Certificate.PrivateKey(pemEncoded: pem) {
            privateKey = key
        } else if let rsa = try? _RSA.Signing.PrivateKey(pemRepresentation: pem) {
            privateKey = Certificate.PrivateKey(rsa)
        } else {
            throw ACMEError("the certificate's private key cannot be read", expected: "a PEM private key (EC P-256/P-384 or RSA)",
                            found: String(pem.prefix(40)))
        }
        type = Self.type(of: privateKey.publicKey)
    }

    public var publicKey: Certificate.PublicKey { privateKey.publicKey }

    static func type(of key: Certificate.PublicKey) -> CertificateKeyType? {
        if P256.Signing.PublicKey(key) != nil { return .ecdsa256 }
        if P384.Signing.PublicKey(key) != nil { return .ecdsa384 }
        if let rsa = _RSA.Signing.PublicKey(key) {
            switch rsa.keySizeInBits { case 2048: return .rsa2048; case 3072: return .rsa3072; case 4096: return .rsa4096; default: return nil }
        }
        return nil
    }

    /// A CSR (DER) for `domains`: the first is the subject's common name, all are subjectAltNames.
    public func csr(domains: [String]) throws -> Data {
        let extensions = try Certificate.Extensions { SubjectAlternativeNames(domains.map { GeneralName.dnsName($0) }) }
        let attributes = CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: extensions))])
        let subject = try DistinguishedName { CommonName(domains[0]) }
        let request = try CertificateSigningRequest(version: .v1, subject: subject, privateKey: privateKey, attributes: attributes)
        var serializer = DER.Serializer()
        try serializer.serialize(request)
        return Data(serializer.serializedBytes)
    }
}
