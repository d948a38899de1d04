import _CryptoExtras
import Crypto
import Foundation
import SwiftASN1
import X509

/// What community.crypto reports about a key: type (RSA, ECC, Ed25519), size, curve, the public key in
/// PEM and its fingerprints (colon-separated hex of hashes of the SubjectPublicKeyInfo).
public struct PrivateKeyDescription: Sendable, Equatable {
    public var type: String
    public var size: Int
    public var curve: String?
    public var publicKeyPEM: String
    public var fingerprints: [String: String]

    public init(_ key: CertificateKey) throws {
        self = try Self.describe(key.publicKey)
    }

    public static func describe(_ publicKey: Certificate.PublicKey) throws -> PrivateKeyDescription {
        let (type, size, curve): (String, Int, String?)
        if P256.Signing.PublicKey(publicKey) != nil { (type, size, curve) = ("ECC", 256, "secp256r1") }
        else if P384.Signing.PublicKey(publicKey) != nil { (type, size, curve) = ("ECC", 384, "secp384r1") }
        else if P521.Signing.PublicKey(publicKey) != nil { (type, size, curve) = ("ECC", 521, "secp521r1") }
        else if let rsa = _RSA.Signing.PublicKey(publicKey) { (type, size, curve) = ("RSA", rsa.keySizeInBits, nil) }
        else if Curve25519.Signing.PublicKey(publicKey) != nil { (type, size, curve) = ("Ed25519", 256, nil) }
        else { (type, size, curve) = ("unknown", 0, nil) }
        // The whole SubjectPublicKeyInfo in DER (subjectPublicKeyInfoBytes is only the key's bits).
        var serializer = DER.Serializer()
        try serializer.serialize(publicKey)
        let der = Data(serializer.serializedBytes)
        return PrivateKeyDescription(type: type, size: size, curve: curve, publicKeyPEM: try publicKey.serializeAsPEM().pemString + "\n",
                                     fingerprints: Fingerprints.of(der))
    }

    init(type: String, size: Int, curve: String?, publicKeyPEM: String, fingerprints: [String: String]) {
        self.type = type
        self.size = size
        self.curve = curve
        self.publicKeyPEM = publicKeyPEM
        self.fingerprints = fingerprints
    }
}

/// Colon-separated lower-case hex digests, keyed by community.crypto's hash names.
public enum Fingerprints {
    public static func of(_ data: Data) -> [String: String] {
        func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 { digest.map { String(format: "%02x", $0) }.joined(separator: ":") }
        return ["md5": hex(Insecure.MD5.hash(data: data)), "sha1": hex(Insecure.SHA1.hash(data: data)), "sha256": hex(SHA256.hash(data: data)),
                "sha384": hex(SHA384.hash(data: data)), "sha512": hex(SHA512.hash(data: data))]
    }
}

/// New private keys as community.crypto.openssl_privatekey names them (type, size, curve), in PEM.
public enum PrivateKeyGenerator {
    public static func generate(type: String, size: Int, curve: String?) throws -> String {
        switch type {
        case "RSA":
            guard size >= 2048 else { throw ACMEError("RSA keys shorter than 2048 bits are not made", expected: "size 2048 or more", found: "\(size)") }
            return try _RSA.Signing.PrivateKey(keySize: .init(bitCount: size)).pemRepresentation
        case "ECC":
            switch curve {
            case "secp256r1"?: return P256.Signing.PrivateKey().pemRepresentation
            case "secp384r1"?: return P384.Signing.PrivateKey().pemRepresentation
            case "secp521r1"?: return P521.Signing.PrivateKey().pemRepresentation
            default: throw ACMEError("curve \(curve ?? "(none)") is not supported for ECC", expected: "secp256r1, secp384r1 or secp521r1", found: curve ?? "none")
            }
        case "Ed25519":
            return try Certificate.PrivateKey(Curve25519.Signing.PrivateKey()).serializeAsPEM().pemString + "\n"
        default:
            throw ACMEError("key type \(type) is not supported", expected: "RSA, ECC or Ed25519", found: type)
        }
    }
}
