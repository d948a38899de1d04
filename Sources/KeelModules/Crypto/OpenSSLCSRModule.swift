import Foundation
import KeelACME
import KeelBase
import KeelTransport
import OrderedCollections
import SwiftASN1
import X509

/// `openssl_csr` (community.crypto): a certificate signing request file for a key on the host, made on
/// the controller with swift-certificates, rewritten only when its subject, names, constraints or key differ.
public struct OpenSSLCSRModule: Module {
    public static let name = "openssl_csr"
    public static let aliases = ["community.crypto.openssl_csr"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "A certificate signing request (CSR) for a private key on the host",
        description: "Reads the key at `privatekey_path` and the CSR at `path`; writes a new CSR (PEM, atomically) when there is none or when its subject (common_name, organization_name, country_name), subjectAltNames or basic constraints, or its key, are not what the task says.",
        examples: """
            - openssl_csr:
                path: /etc/ssl/site.csr
                privatekey_path: /etc/ssl/private/site.key
                common_name: www.example.com
                subject_alt_name: ["DNS:www.example.com", "DNS:example.com"]
            """,
        deviations: ["Compared with community.crypto.openssl_csr: subject fields common_name, organization_name and country_name only; extensions subjectAltName (DNS:, IP: (v4), email:) and basic_constraints (CA:TRUE/CA:FALSE, always critical) only; no passphrase.", "The CSR file is written 0644 as the connecting user: no mode, owner, group or backup options."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, help: "The CSR file on the host.") var path: String
        @Option("privatekey_path", .path, required: true, help: "The private key on the host the CSR is for.") var privatekey_path: String
        @Option("common_name", .string, aliases: ["CN", "commonName"], format: .singleLine, help: "The subject's common name.") var common_name: String?
        @Option("organization_name", .string, aliases: ["O", "organizationName"], format: .singleLine, help: "The subject's organization.") var organization_name: String?
        @Option("country_name", .string, aliases: ["C", "countryName"], format: .singleLine, help: "The subject's two-letter country code.") var country_name: String?
        @Option("subject_alt_name", .list(.string), aliases: ["subjectAltName"], help: "Names: DNS:name, IP:a.b.c.d, email:address.") var subject_alt_name: [String]?
        @Option("use_common_name_for_san", .bool, default: true, aliases: ["useCommonNameForSAN"], help: "Without subject_alt_name, put DNS:common_name there.") var use_common_name_for_san: Bool
        @Option("basic_constraints", .list(.string), help: "[\"CA:TRUE\"] for a CA's request, [\"CA:FALSE\"] otherwise.") var basic_constraints: [String]?
        @Option("state", .string, default: "present", choices: ["present", "absent"], help: "present or absent.") var state: String
        @Option("force", .bool, default: false, help: "Write a new CSR on every run.") var force: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable { var key: Data?; var csr: Data?; var exists: Bool }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case write(ProtectedFileWrite)
        case remove(String)
        public var description: String {
            switch self { case .write(let job): return job.description; case .remove(let path): return "remove \(path)" }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let csr = try await RemotePath.observe(a.path, on: host, contentLimit: 1 << 20)
        if a.state == "absent" { return State(key: nil, csr: nil, exists: csr.kind != .absent) }
        let key = try await RemotePath.observe(a.privatekey_path, on: host, contentLimit: 1 << 20)
        return State(key: key.content, csr: csr.content, exists: csr.kind != .absent)
    }

    static func request(_ a: Arguments) throws -> CertificateBuilder.Request {
        var names = a.subject_alt_name ?? []
        if names.isEmpty, a.use_common_name_for_san, let cn = a.common_name { names = ["DNS:\(cn)"] }
        var ca: Bool?
        for constraint in a.basic_constraints ?? [] {
            switch constraint.replacingOccurrences(of: " ", with: "").uppercased() {
            case "CA:TRUE": ca = true
            case "CA:FALSE": ca = false
            default: throw KeelError("basic_constraints entry \(constraint) is not supported", expected: "CA:TRUE or CA:FALSE", found: constraint)
            }
        }
        return CertificateBuilder.Request(commonName: a.common_name, organizationName: a.organization_name, countryName: a.country_name,
                                          subjectAltNames: names, isCertificateAuthority: ca)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["filename": .string(a.path), "privatekey": .string(a.privatekey_path)]
        if a.state == "absent" { return observed.exists ? Plan(steps: [.remove(a.path)], values: values) : .unchanged(values: values) }
        guard let keyData = observed.key else {
            throw KeelError("\(host.name): no private key at \(a.privatekey_path)", expected: "a key (openssl_privatekey makes one)", found: "nothing")
        }
        let key = try CertificateKey(pem: String(decoding: keyData, as: UTF8.self))
        let request = try Self.request(a)
        if !a.force, let existing = observed.csr, let csr = try? CertificateSigningRequest(pemEncoded: String(decoding: existing, as: UTF8.self)),
           try Self.matches(csr, request, key) {
            return .unchanged(values: values)
        }
        let pem = try CertificateBuilder.pem(try CertificateBuilder.csr(request, key: key))
        return Plan(steps: [.write(ProtectedFileWrite(path: a.path, content: pem, mode: 0o644))],
                    diffs: [Diff(label: a.path, before: observed.csr == nil ? "(absent)\n" : "(a CSR for other data)\n", after: "(a CSR for \(request.subjectAltNames.joined(separator: ", ")))\n")],
                    values: values)
    }

    static func matches(_ csr: CertificateSigningRequest, _ request: CertificateBuilder.Request, _ key: CertificateKey) throws -> Bool {
        guard csr.publicKey == key.publicKey, csr.subject == (try request.subject()) else { return false }
        let extensions = ((try? csr.attributes.extensionRequest) ?? nil)?.extensions
        let names = ((try? extensions?.subjectAlternativeNames) ?? nil).map { Array($0) } ?? []
        guard names == (try request.generalNames()) else { return false }
        let basic = (try? extensions?.basicConstraints) ?? nil
        switch (request.isCertificateAuthority, basic) {
        case (nil, nil): return true
        case (true?, .isCertificateAuthority?): return true
        case (false?, .notCertificateAuthority?): return true
        default: return false
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .write(let job): try await job.perform(on: host)
            case .remove(let path): try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
            }
        }
        return .changed()
    }
}
