import Foundation
import KeelACME
import KeelBase
import KeelTransport
import OrderedCollections

/// `openssl_privatekey` (community.crypto): a private key file on the host, made on the controller with
/// swift-crypto (no openssl, no Python cryptography on the host), written under umask 077, kept while it
/// matches type, size and curve.
public struct OpenSSLPrivateKeyModule: Module {
    public static let name = "openssl_privatekey"
    public static let aliases = ["community.crypto.openssl_privatekey"]
    public static let spec = ArgumentSpec(Arguments.self).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "A private key (RSA, ECC, Ed25519) on the host, made once and kept",
        description: """
            Reads the key at `path`; makes a new one when there is none, or when it is not of `type`/`size`/`curve` \
            (per `regenerate`). New keys are made on the controller with swift-crypto and written atomically with mode \
            0600 (or `mode`), never readable in between. Returns type, size, curve, public_key and fingerprint as \
            community.crypto does.
            """,
        examples: """
            - openssl_privatekey:
                path: /etc/ssl/private/site.key
                type: ECC
                curve: secp256r1
            - community.crypto.openssl_privatekey:
                path: /etc/ssl/private/legacy.key
                size: 2048
            """,
        deviations: [
            "Compared with community.crypto.openssl_privatekey: types RSA (2048 bits or more), ECC (secp256r1, secp384r1, secp521r1) and Ed25519 only; no DSA, X25519, X448, Ed448, no passphrase.",
            SecurityContextOptions.deviation,
            "RSA keys are written as PKCS#1, ECC and Ed25519 keys as PKCS#8 (`format` other than auto/auto_ignore is refused).",
            "`backup` and `select_crypto_backend` do not exist; the key is made on the controller, so the host needs no Python cryptography.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, help: "The key file on the host.") var path: String
        @Option("state", .string, default: "present", choices: ["present", "absent"], help: "present: the key exists; absent: the file is removed.") var state: String
        @Option("type", .string, default: "RSA", choices: ["RSA", "ECC", "Ed25519"], help: "The key's algorithm.") var type: String
        @Option("size", .int, default: 4096, help: "RSA key size in bits.") var size: Int
        @Option("curve", .string, choices: ["secp256r1", "secp384r1", "secp521r1"], help: "The ECC curve (required for type ECC).") var curve: String?
        @Option("regenerate", .string, default: "full_idempotence", choices: ["never", "fail", "partial_idempotence", "full_idempotence", "always"],
                help: "When an existing key differs from type/size/curve: never (keep it), fail, partial_idempotence or full_idempotence (make a new one; full also replaces a key it cannot read), always (a new key on every run).") var regenerate: String
        @Option("force", .bool, default: false, help: "Make a new key on every run (like regenerate: always).") var force: Bool
        @Option("format", .string, default: "auto_ignore", choices: ["auto", "auto_ignore"], help: "Only the automatic format: PKCS#1 for RSA, PKCS#8 otherwise.") var format: String
        @Option("return_content", .bool, default: false, help: "Return the private key's PEM as `privatekey` (mind no_log).") var return_content: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?
        public init() {}
    }

    public struct State: Equatable, Sendable {
        var file: RemotePath
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case generate(path: String, type: String, size: Int, curve: String?, attributes: [AttributeChange], returnContent: Bool)
        case attributes(path: String, [AttributeChange])
        case remove(String)

        public var description: String {
            switch self {
            case .generate(let path, let type, let size, let curve, _, _): return "make a new \(type) key (\(curve ?? "\(size) bits")) at \(path)"
            case .attributes(let path, let changes): return "set \(changes.map { $0.command(for: path) }.joined(separator: "; "))"
            case .remove(let path): return "remove \(path)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.type == "ECC" && a.curve == nil { throw KeelError("type ECC needs `curve`", expected: "secp256r1, secp384r1 or secp521r1", found: "no curve") }
        return State(file: try await RemotePath.observe(a.path, on: host, contentLimit: 1 << 20))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["filename": .string(a.path)]
        let file = observed.file
        if a.state == "absent" {
            return file.kind == .absent ? .unchanged(values: values) : Plan(steps: [.remove(a.path)], values: values)
        }
        let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
        let newKeyAttributes = attributes.changes(for: RemotePath(kind: .absent), defaultMode: 0o600).filter { if case .mode = $0 { false } else { true } }
            + [.mode(attributes.wantedMode(current: 0o600, isDirectory: false) ?? 0o600)]
        let generate = Step.generate(path: a.path, type: a.type, size: a.size, curve: a.type == "ECC" ? a.curve : nil, attributes: newKeyAttributes,
                                     returnContent: a.return_content)
        guard file.kind != .absent, let content = file.content else {
            return Plan(steps: [generate], diffs: [Diff(label: a.path, before: "(absent)\n", after: "(a new \(a.type) key)\n")], values: values)
        }
        let description: PrivateKeyDescription
        do { description = try PrivateKeyDescription(try CertificateKey(pem: String(decoding: content, as: UTF8.self))) } catch {
            guard ["full_idempotence", "always"].contains(a.regenerate) || a.force else {
                throw KeelError("\(host.name): \(a.path) is not a private key Keel can read", expected: "a PEM private key (or regenerate: full_idempotence to replace it)", found: "\(error)")
            }
            return Plan(steps: [generate], diffs: [Diff(label: a.path, before: "(unreadable)\n", after: "(a new \(a.type) key)\n")], values: values)
        }
        let matches = description.type == a.type && (a.type != "RSA" || description.size == a.size) && (a.type != "ECC" || description.curve == a.curve)
        if a.force || a.regenerate == "always" || (!matches && a.regenerate != "never") {
            if !matches && a.regenerate == "fail" && !a.force {
                throw KeelError("\(host.name): \(a.path) is a \(description.type) key (\(description.curve ?? "\(description.size) bits")), not the one asked for",
                                expected: "\(a.type) \(a.curve ?? "\(a.size) bits") (regenerate: fail)", found: "\(description.type) \(description.curve ?? "\(description.size)")")
            }
            return Plan(steps: [generate], diffs: [Diff(label: a.path, before: "\(description.type) \(description.curve ?? "\(description.size)")\n", after: "(a new \(a.type) key)\n")], values: values)
        }
        values.merge(Self.values(description, pem: a.return_content ? String(decoding: content, as: UTF8.self) : nil)) { $1 }
        let changes = attributes.changes(for: file)
        return changes.isEmpty ? .unchanged(values: values) : Plan(steps: [.attributes(path: a.path, changes)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var values: OrderedDictionary<String, Value> = [:]
        for step in plan.steps {
            switch step {
            case .remove(let path): try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
            case .attributes(let path, let changes):
                try await host.runChecked(changes.map { $0.command(for: path) }.joined(separator: " && "), failure: "cannot set the attributes of \(path)")
            case .generate(let path, let type, let size, let curve, let attributes, let returnContent):
                let pem = try PrivateKeyGenerator.generate(type: type, size: size, curve: curve)
                try await ProtectedFileWrite(path: path, content: pem, mode: 0o600, attributes: attributes).perform(on: host)
                values = Self.values(try PrivateKeyDescription(try CertificateKey(pem: pem)), pem: returnContent ? pem : nil)
            }
        }
        return .changed(values)
    }

    static func values(_ d: PrivateKeyDescription, pem: String?) -> OrderedDictionary<String, Value> {
        var values: OrderedDictionary<String, Value> = ["type": .string(d.type), "size": .int(d.size), "curve": d.curve.map(Value.string) ?? .null,
                                                         "public_key": .string(d.publicKeyPEM),
                                                         "fingerprint": .dict(OrderedDictionary(uniqueKeysWithValues: d.fingerprints.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) }))]
        if let pem { values["privatekey"] = .string(pem) }
        return values
    }
}
