import Foundation
import KeelACME
import KeelBase
import OrderedCollections

/// `openssl_privatekey_info` (community.crypto): what a private key is, read on the controller from the
/// host's file (or `content`); changes nothing.
public struct OpenSSLPrivateKeyInfoModule: Module {
    public static let name = "openssl_privatekey_info"
    public static let aliases = ["community.crypto.openssl_privatekey_info"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["path", "content"]])
    public static let documentation = ModuleDocumentation(
        summary: "Read a private key: type, size, curve, public key, fingerprints",
        description: "Reads the key at `path` on the host (or `content`) and returns can_parse_key, type, public_key, public_key_fingerprints and public_data {size, curve}. An unreadable key fails the task with can_parse_key false.",
        examples: """
            - openssl_privatekey_info: path=/etc/ssl/private/site.key
              register: key
            """,
        deviations: ["Compared with community.crypto.openssl_privatekey_info: no passphrase, no private data (`return_private_key_data`); key_is_consistent is always true for a key that parses (swift-crypto checks keys as it loads them).", "public_data has size (RSA), curve and exponent_size (ECC); not x, y, modulus, exponent (integers beyond 64 bits)."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, help: "The key file on the host.") var path: String?
        @Option("content", .string, noLog: true, help: "The key as PEM text instead of a file.") var content: String?
        @Option("check_consistency", .bool, default: false, help: "Accepted for community.crypto's sake; a key that parses is consistent.") var check_consistency: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable { var pem: String }
    public enum Step: Sendable, Codable, Equatable { case none }
    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        State(pem: try await PEMSource.read(path: a.path, content: a.content, what: "private key", expected: "a readable file", on: host))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let description: PrivateKeyDescription
        do { description = try PrivateKeyDescription(try CertificateKey(pem: observed.pem)) } catch {
            throw ModuleFailure(message: "\(host.name): the private key cannot be read: \(error)", values: ["can_parse_key": false], changed: false)
        }
        let publicData = Self.publicData(description)
        return .unchanged(values: [
            "can_parse_key": true, "key_is_consistent": a.check_consistency ? .bool(true) : .null,
            "type": .string(description.type), "public_key": .string(description.publicKeyPEM), "public_data": .dict(publicData),
            "public_key_fingerprints": .dict(OrderedDictionary(uniqueKeysWithValues: description.fingerprints.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) })),
        ])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged() }

    /// community.crypto's public_data: size for RSA, curve and exponent_size for ECC, nothing more for Ed25519.
    static func publicData(_ d: PrivateKeyDescription) -> OrderedDictionary<String, Value> {
        switch d.type {
        case "RSA": return ["size": .int(d.size)]
        case "ECC": return ["curve": d.curve.map(Value.string) ?? .null, "exponent_size": .int(d.size)]
        default: return [:]
        }
    }
}
