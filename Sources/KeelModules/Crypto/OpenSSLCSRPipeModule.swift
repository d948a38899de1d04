import Foundation
import KeelACME
import KeelBase
import OrderedCollections
import X509

/// `openssl_csr_pipe` (community.crypto): openssl_csr without a CSR file: takes the current CSR as
/// `content` and returns the wanted one as `csr` (the same when it already fits), for roles that keep CSRs
/// elsewhere. The key is read from the host (`privatekey_path`) or given (`privatekey_content`).
public struct OpenSSLCSRPipeModule: Module {
    public static let name = "openssl_csr_pipe"
    public static let aliases = ["community.crypto.openssl_csr_pipe"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["privatekey_path", "privatekey_content"]])
    public static let documentation = ModuleDocumentation(
        summary: "A CSR returned as text (no file): the same one when `content` already fits",
        description: "Like openssl_csr, but the CSR comes in as `content` and goes out as `csr`; `changed` when the returned CSR is a new one.",
        examples: """
            - openssl_csr_pipe:
                privatekey_path: /etc/ssl/private/site.key
                common_name: www.example.com
                content: "{{ lookup('file', 'site.csr', errors='ignore') }}"
              register: csr
            """,
        deviations: ["Compared with community.crypto.openssl_csr_pipe: the same subject fields and extensions as openssl_csr (see `keel doc openssl_csr`); no passphrase."])

    public struct Arguments: ModuleArguments {
        @Option("content", .string, help: "The current CSR (PEM), if any.") var content: String?
        @Option("privatekey_path", .path, help: "The private key on the host.") var privatekey_path: String?
        @Option("privatekey_content", .string, noLog: true, help: "The private key as PEM text.") var privatekey_content: String?
        @Option("common_name", .string, aliases: ["CN", "commonName"], format: .singleLine, help: "The subject's common name.") var common_name: String?
        @Option("organization_name", .string, aliases: ["O", "organizationName"], format: .singleLine, help: "The subject's organization.") var organization_name: String?
        @Option("country_name", .string, aliases: ["C", "countryName"], format: .singleLine, help: "The subject's two-letter country code.") var country_name: String?
        @Option("subject_alt_name", .list(.string), aliases: ["subjectAltName"], help: "Names: DNS:name, IP:a.b.c.d, email:address.") var subject_alt_name: [String]?
        @Option("use_common_name_for_san", .bool, default: true, aliases: ["useCommonNameForSAN"], help: "Without subject_alt_name, put DNS:common_name there.") var use_common_name_for_san: Bool
        @Option("basic_constraints", .list(.string), help: "[\"CA:TRUE\"] or [\"CA:FALSE\"].") var basic_constraints: [String]?
        public init() {}
    }

    public struct State: Equatable, Sendable { var key: String }
    public enum Step: Sendable, Codable, Equatable { case returnCSR(String) }
    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if let content = a.privatekey_content { return State(key: content) }
        let file = try await RemotePath.observe(a.privatekey_path!, on: host, contentLimit: 1 << 20)
        guard let data = file.content else { throw KeelError("\(host.name): no private key at \(a.privatekey_path!)", expected: "a key", found: "nothing") }
        return State(key: String(decoding: data, as: UTF8.self))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var raw: OrderedDictionary<String, Value> = ["path": "/dev/null", "privatekey_path": "/dev/null", "use_common_name_for_san": .bool(a.use_common_name_for_san)]
        for (key, value) in [("common_name", a.common_name), ("organization_name", a.organization_name), ("country_name", a.country_name)] {
            if let value { raw[key] = .string(value) }
        }
        var csrArguments = try OpenSSLCSRModule.arguments(raw)
        csrArguments.subject_alt_name = a.subject_alt_name
        csrArguments.basic_constraints = a.basic_constraints
        let request = try OpenSSLCSRModule.request(csrArguments)
        let key = try CertificateKey(pem: observed.key)
        if let content = a.content, let csr = try? CertificateSigningRequest(pemEncoded: content), try OpenSSLCSRModule.matches(csr, request, key) {
            return .unchanged(values: ["csr": .string(content)])
        }
        let pem = try CertificateBuilder.pem(try CertificateBuilder.csr(request, key: key))
        var plan = Plan<Step>(steps: [.returnCSR(pem)], diffs: [Diff(label: "csr", before: a.content == nil ? "(none)\n" : "(another CSR)\n", after: "(a new CSR)\n")],
                              values: ["csr": .string(pem)])
        plan.checkModeValues["csr"] = Value.string(pem)
        return plan
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .changed() }
}
