import Foundation
import KeelACME
import KeelBase
import OrderedCollections
import SwiftASN1
import X509

/// `openssl_csr_info` (community.crypto): what a CSR asks for, read on the controller from the host's
/// file (or `content`); changes nothing.
public struct OpenSSLCSRInfoModule: Module {
    public static let name = "openssl_csr_info"
    public static let aliases = ["community.crypto.openssl_csr_info"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["path", "content"]])
    public static let documentation = ModuleDocumentation(
        summary: "Read a CSR: subject, names, constraints, key, signature",
        description: "Reads the CSR at `path` on the host (or `content`) and returns subject (dict), subject_alt_name, basic_constraints, public_key, public_key_type, public_key_data, public_key_fingerprints and signature_valid.",
        examples: """
            - openssl_csr_info: path=/etc/ssl/site.csr
              register: csr
            """,
        deviations: ["Compared with community.crypto.openssl_csr_info: extensions subjectAltName and basic constraints only.", "public_key_data has size (RSA), curve and exponent_size (ECC); not x, y, modulus, exponent (integers beyond 64 bits)."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, help: "The CSR file on the host.") var path: String?
        @Option("content", .string, help: "The CSR as PEM text instead of a file.") var content: String?
        public init() {}
    }

    public struct State: Equatable, Sendable { var pem: String }
    public enum Step: Sendable, Codable, Equatable { case none }
    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        State(pem: try await PEMSource.read(path: a.path, content: a.content, what: "CSR", on: host))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let csr: CertificateSigningRequest
        do { csr = try CertificateSigningRequest(pemEncoded: observed.pem) } catch {
            throw KeelError("\(host.name): the CSR cannot be read", expected: "-----BEGIN CERTIFICATE REQUEST-----", found: "\(error)")
        }
        let extensions = ((try? csr.attributes.extensionRequest) ?? nil)?.extensions
        let names = ((try? extensions?.subjectAlternativeNames) ?? nil).map { Array($0) } ?? []
        let key = try PrivateKeyDescription.describe(csr.publicKey)
        var values: OrderedDictionary<String, Value> = [
            "subject": .dict(X509CertificateInfoModule.names(csr.subject)),
            "subject_alt_name": names.isEmpty ? .null : .list(names.map { .string(X509CertificateInfoModule.generalName($0)) }),
            "public_key": .string(key.publicKeyPEM), "public_key_type": .string(key.type),
            "public_key_data": .dict(OpenSSLPrivateKeyInfoModule.publicData(key)),
            "public_key_fingerprints": .dict(OrderedDictionary(uniqueKeysWithValues: key.fingerprints.sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) })),
            "signature_valid": .bool(csr.publicKey.isValidSignature(csr.signature, for: csr)),
        ]
        if let basic = (try? extensions?.basicConstraints) ?? nil {
            if case .isCertificateAuthority = basic { values["basic_constraints"] = .list(["CA:TRUE"]) } else { values["basic_constraints"] = .list(["CA:FALSE"]) }
        } else { values["basic_constraints"] = .null }
        return .unchanged(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged() }
}
