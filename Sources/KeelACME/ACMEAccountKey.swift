import Crypto
import Foundation

/// The account's key: ES256 (P-256, SHA-256), the one algorithm every ACME CA accepts. It signs every
/// request; its JWK thumbprint (RFC 7638) is part of each key authorization.
public struct ACMEAccountKey: Sendable {
    /// Kept as raw bytes: swift-crypto's key type is not Sendable.
    private let raw: Data
    public var key: P256.Signing.PrivateKey { try! P256.Signing.PrivateKey(rawRepresentation: raw) }

    public init(_ key: P256.Signing.PrivateKey) { raw = key.rawRepresentation }

    /// A PEM private key (PKCS#8 or SEC1 "EC PRIVATE KEY").
    public init(pem: String) throws {
        do { raw = try P256.Signing.PrivateKey(pemRepresentation: pem).rawRepresentation } catch {
            throw ACMEError("the account key is not a P-256 private key in PEM",
                            expected: "-----BEGIN PRIVATE KEY----- or -----BEGIN EC PRIVATE KEY----- with a P-256 (ES256) key",
                            found: String(pem.prefix(40)))
        }
    }

    public static func generate() -> ACMEAccountKey { ACMEAccountKey(P256.Signing.PrivateKey()) }

    public var pem: String { key.pemRepresentation }

    /// The public JWK with its members in lexical order, which is also the thumbprint's input (RFC 7638 §3).
    public var jwkJSON: String {
        let raw = key.publicKey.x963Representation  // 0x04 || x || y
        let x = Base64URL.encode(raw.dropFirst().prefix(32)), y = Base64URL.encode(raw.dropFirst(33))
        return #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
    }

    public var thumbprint: String { Base64URL.encode(Data(SHA256.hash(data: Data(jwkJSON.utf8)))) }

    /// A flattened JWS (RFC 7515 §7.2.2) with `jwk` (new account) or `kid` (everything after).
    public func sign(payload: Data?, url: String, nonce: String, kid: String?) throws -> Data {
        let header = kid.map { #""kid":\#(JSONText.string($0))"# } ?? #""jwk":\#(jwkJSON)"#
        let protected = #"{"alg":"ES256",\#(header),"nonce":\#(JSONText.string(nonce)),"url":\#(JSONText.string(url))}"#
        let protected64 = Base64URL.encode(Data(protected.utf8))
        let payload64 = payload.map { Base64URL.encode($0) } ?? ""  // empty: POST-as-GET (RFC 8555 §6.3)
        let signature = try key.signature(for: Data("\(protected64).\(payload64)".utf8))
        return Data(#"{"protected":"\#(protected64)","payload":"\#(payload64)","signature":"\#(Base64URL.encode(signature.rawRepresentation))"}"#.utf8)
    }

    /// The key authorization for a challenge token (RFC 8555 §8.1).
    public func keyAuthorization(token: String) -> String { "\(token).\(thumbprint)" }
}

/// External account binding (RFC 8555 §7.3.4): the account's JWK signed with the CA's MAC key.
public struct ExternalAccountBinding: Sendable, Equatable {
    public var keyIdentifier: String
    /// base64url, as CAs hand it out.
    public var macKey: String
    public var algorithm: String

    public init(keyIdentifier: String, macKey: String, algorithm: String = "HS256") {
        self.keyIdentifier = keyIdentifier
        self.macKey = macKey
        self.algorithm = algorithm
    }

    func jws(accountJWK: String, url: String) throws -> String {
        guard let key = Base64URL.decode(macKey) ?? Data(base64Encoded: macKey) else {
            throw ACMEError("external_account_binding.key is not base64url", expected: "the MAC key as the CA gave it (base64url)", found: macKey)
        }
        let protected = #"{"alg":\#(JSONText.string(algorithm)),"kid":\#(JSONText.string(keyIdentifier)),"url":\#(JSONText.string(url))}"#
        let input = Data("\(Base64URL.encode(Data(protected.utf8))).\(Base64URL.encode(Data(accountJWK.utf8)))".utf8)
        let mac: Data
        switch algorithm {
        case "HS256": mac = Data(HMAC<SHA256>.authenticationCode(for: input, using: SymmetricKey(data: key)))
        case "HS384": mac = Data(HMAC<SHA384>.authenticationCode(for: input, using: SymmetricKey(data: key)))
        case "HS512": mac = Data(HMAC<SHA512>.authenticationCode(for: input, using: SymmetricKey(data: key)))
        default: throw ACMEError("external_account_binding.alg is not supported", expected: "HS256, HS384 or HS512", found: algorithm)
        }
        return #"{"protected":"\#(Base64URL.encode(Data(protected.utf8)))","payload":"\#(Base64URL.encode(Data(accountJWK.utf8)))","signature":"\#(Base64URL.encode(mac))"}"#
    }
}

/// JSON text for the few strings the client writes by hand (keys must keep their order for the thumbprint).
enum JSONText {
    static func string(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }
}
