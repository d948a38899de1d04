import Crypto
import Foundation
import SwiftASN1
import X509

/// CSRs and certificates as community.crypto's openssl_csr and x509_certificate (selfsigned, ownca) make
/// them, with swift-certificates: a subject, subjectAltNames, optionally basic constraints.
public enum CertificateBuilder {
    public struct Request: Sendable, Equatable {
        public var commonName: String?
        public var organizationName: String?
        public var countryName: String?
        public var subjectAltNames: [String]   // "DNS:name" or "IP:1.2.3.4"
        public var isCertificateAuthority: Bool?

        public init(commonName: String?, organizationName: String?, countryName: String?, subjectAltNames: [String], isCertificateAuthority: Bool?) {
            self.commonName = commonName
            self.organizationName = organizationName
            self.countryName = countryName
            self.subjectAltNames = subjectAltNames
            self.isCertificateAuthority = isCertificateAuthority
        }

        public func subject() throws -> DistinguishedName {
            var rdns: [RelativeDistinguishedName] = []
            if let countryName { rdns.append(RelativeDistinguishedName(try .init(type: .NameAttributes.countryName, printableString: countryName))) }
            if let organizationName { rdns.append(RelativeDistinguishedName(.init(type: .NameAttributes.organizationName, utf8String: organizationName))) }
            if let commonName { rdns.append(RelativeDistinguishedName(.init(type: .NameAttributes.commonName, utf8String: commonName))) }
            return DistinguishedName(rdns)
        }

        public func generalNames() throws -> [GeneralName] {
            try subjectAltNames.map { entry in
                if entry.hasPrefix("DNS:") { return .dnsName(String(entry.dropFirst(4))) }
                if entry.hasPrefix("IP:") {
                    let parts = entry.dropFirst(3).split(separator: ".").compactMap { UInt8($0) }
                    guard parts.count == 4 else { throw ACMEError("subject_alt_name \(entry) is not an IPv4 address", expected: "IP:a.b.c.d", found: entry) }
                    return .ipAddress(ASN1OctetString(contentBytes: ArraySlice(parts)))
                }
                if entry.hasPrefix("email:") { return .rfc822Name(String(entry.dropFirst(6))) }
                throw ACMEError("subject_alt_name \(entry) has no known prefix", expected: "DNS:, IP: or email:", found: entry)
            }
        }

        public func extensions() throws -> Certificate.Extensions {
            var extensions = Certificate.Extensions()
            if !subjectAltNames.isEmpty { try extensions.append(Certificate.Extension(SubjectAlternativeNames(generalNames()), critical: false)) }
            if let ca = isCertificateAuthority {
                let constraints: BasicConstraints = ca ? .isCertificateAuthority(maxPathLength: nil) : .notCertificateAuthority
                try extensions.append(Certificate.Extension(constraints, critical: true))
            }
            return extensions
        }
    }

    public static func csr(_ request: Request, key: CertificateKey) throws -> CertificateSigningRequest {
        let attributes = CertificateSigningRequest.Attributes([try .init(ExtensionRequest(extensions: try request.extensions()))])
        return try CertificateSigningRequest(version: .v1, subject: try request.subject(), privateKey: key.privateKey, attributes: attributes)
    }

    /// A certificate for the CSR, signed by `issuerKey`: self-signed without `issuer`, else by that CA.
    public static func certificate(for csr: CertificateSigningRequest, issuerKey: CertificateKey, issuer: Certificate?,
                                   notBefore: Date, notAfter: Date) throws -> Certificate {
        var all = ((try? csr.attributes.extensionRequest) ?? nil)?.extensions ?? Certificate.Extensions()
        let ski = Array(Insecure.SHA1.hash(data: Data(csr.publicKey.subjectPublicKeyInfoBytes)))
        try all.append(Certificate.Extension(SubjectKeyIdentifier(keyIdentifier: ArraySlice(ski)), critical: false))
        let issuerKeyID: [UInt8] = issuer.flatMap { try? $0.extensions.subjectKeyIdentifier }.map { Array($0.keyIdentifier) }
            ?? Array(Insecure.SHA1.hash(data: Data(issuerKey.publicKey.subjectPublicKeyInfoBytes)))
        try all.append(Certificate.Extension(AuthorityKeyIdentifier(keyIdentifier: ArraySlice(issuerKeyID)), critical: false))
        // Whole seconds, rounded down: X.509 times have none finer, and a start rounded up would lie in the future.
        let notBefore = Date(timeIntervalSince1970: notBefore.timeIntervalSince1970.rounded(.down))
        let notAfter = Date(timeIntervalSince1970: notAfter.timeIntervalSince1970.rounded(.down))
        var serial = [UInt8](repeating: 0, count: 16)
        for i in serial.indices { serial[i] = UInt8.random(in: 0...255) }
        serial[0] &= 0x7f
        return try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(bytes: ArraySlice(serial)), publicKey: csr.publicKey,
                               notValidBefore: notBefore, notValidAfter: notAfter, issuer: issuer?.subject ?? csr.subject, subject: csr.subject,
                               signatureAlgorithm: signatureAlgorithm(issuerKey), extensions: all, issuerPrivateKey: issuerKey.privateKey)
    }

    /// What OpenSSL picks for each key type.
    static func signatureAlgorithm(_ key: CertificateKey) -> Certificate.SignatureAlgorithm {
        switch key.type {
        case .ecdsa384?: return .ecdsaWithSHA384
        case .rsa2048?, .rsa3072?, .rsa4096?: return .sha256WithRSAEncryption
        case .ecdsa256?: return .ecdsaWithSHA256
        case nil:
            if P521.Signing.PublicKey(key.publicKey) != nil { return .ecdsaWithSHA512 }
            if Curve25519.Signing.PublicKey(key.publicKey) != nil { return .ed25519 }
            return .sha256WithRSAEncryption
        }
    }

    public static func pem(_ certificate: Certificate) throws -> String { try certificate.serializeAsPEM().pemString + "\n" }
    public static func pem(_ csr: CertificateSigningRequest) throws -> String { try csr.serializeAsPEM().pemString + "\n" }
}
