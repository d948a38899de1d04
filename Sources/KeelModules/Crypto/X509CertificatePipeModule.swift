import Foundation
import KeelBase
import OrderedCollections

/// `x509_certificate_pipe` (community.crypto): x509_certificate without a certificate file: the current
/// certificate comes in as `content`, the wanted one goes out as `certificate` (the same when it still fits).
/// The CSR, keys and CA certificate come from files on the host or as text.
public struct X509CertificatePipeModule: Module {
    public static let name = "x509_certificate_pipe"
    public static let aliases = ["community.crypto.x509_certificate_pipe"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["csr_path", "csr_content"]])
    public static let documentation = ModuleDocumentation(
        summary: "A self-signed or own-CA certificate returned as text (no file)",
        description: "Like x509_certificate, but the certificate comes in as `content` and goes out as `certificate`; `changed` when a new one was signed.",
        examples: """
            - x509_certificate_pipe:
                csr_content: "{{ csr.csr }}"
                provider: ownca
                ownca_path: /etc/ssl/ca.crt
                ownca_privatekey_path: /etc/ssl/private/ca.key
                content: "{{ lookup('file', 'site.crt', errors='ignore') }}"
              register: cert
            """,
        deviations: ["Compared with community.crypto.x509_certificate_pipe: providers selfsigned and ownca only, and the same times and serial as x509_certificate (see `keel doc x509_certificate`)."])

    public struct Arguments: ModuleArguments {
        @Option("provider", .string, required: true, choices: ["selfsigned", "ownca"], help: "Who signs: the CSR's own key, or your CA.") var provider: String
        @Option("content", .string, help: "The current certificate (PEM), if any.") var content: String?
        @Option("csr_path", .path, help: "The CSR on the host.") var csr_path: String?
        @Option("csr_content", .string, help: "The CSR as PEM text.") var csr_content: String?
        @Option("privatekey_path", .path, help: "The certificate's key on the host (selfsigned).") var privatekey_path: String?
        @Option("privatekey_content", .string, noLog: true, help: "The certificate's key as PEM text (selfsigned).") var privatekey_content: String?
        @Option("ownca_path", .path, help: "The CA certificate on the host (ownca).") var ownca_path: String?
        @Option("ownca_content", .string, help: "The CA certificate as PEM text (ownca).") var ownca_content: String?
        @Option("ownca_privatekey_path", .path, help: "The CA's key on the host (ownca).") var ownca_privatekey_path: String?
        @Option("ownca_privatekey_content", .string, noLog: true, help: "The CA's key as PEM text (ownca).") var ownca_privatekey_content: String?
        @Option("selfsigned_not_before", .string, default: "+0s", help: "Start of validity (selfsigned).") var selfsigned_not_before: String
        @Option("selfsigned_not_after", .string, default: "+3650d", help: "End of validity (selfsigned).") var selfsigned_not_after: String
        @Option("ownca_not_before", .string, default: "+0s", help: "Start of validity (ownca).") var ownca_not_before: String
        @Option("ownca_not_after", .string, default: "+3650d", help: "End of validity (ownca).") var ownca_not_after: String
        @Option("force", .bool, default: false, help: "Sign a new certificate every time.") var force: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable { var files: [String: Data] }
    public enum Step: Sendable, Codable, Equatable { case returnCertificate(String) }
    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var files: [String: Data] = [:]
        let sources: [(String, String?, String?)] = [("csr", a.csr_content, a.csr_path), ("key", a.privatekey_content, a.privatekey_path),
                                                     ("ca", a.ownca_content, a.ownca_path), ("cakey", a.ownca_privatekey_content, a.ownca_privatekey_path)]
        for (name, content, path) in sources {
            if let content { files[name] = Data(content.utf8); continue }
            guard let path else { continue }
            let file = try await RemotePath.observe(path, on: host, contentLimit: 1 << 20)
            guard let data = file.content else { throw KeelError("\(host.name): nothing at \(path)", expected: "a PEM file", found: "nothing") }
            files[name] = data
        }
        if let content = a.content { files["cert"] = Data(content.utf8) }
        return State(files: files)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let selfsigned = a.provider == "selfsigned"
        let needed = selfsigned ? ["key"] : ["ca", "cakey"]
        for name in needed where observed.files[name] == nil {
            throw KeelError("provider \(a.provider) needs \(selfsigned ? "privatekey_path or privatekey_content" : "ownca_path/ownca_content and ownca_privatekey_path/ownca_privatekey_content")",
                            expected: "the signer's key\(selfsigned ? "" : " and certificate")", found: "not given")
        }
        guard let pem = try X509CertificateModule.certificateToWrite(selfsigned: selfsigned, files: observed.files,
                                                                     notBefore: selfsigned ? a.selfsigned_not_before : a.ownca_not_before,
                                                                     notAfter: selfsigned ? a.selfsigned_not_after : a.ownca_not_after, force: a.force, host: host.name) else {
            return .unchanged(values: ["certificate": .string(a.content ?? "")])
        }
        var plan = Plan<Step>(steps: [.returnCertificate(pem)], diffs: [Diff(label: "certificate", before: a.content == nil ? "(none)\n" : "(another certificate)\n", after: "(a new certificate)\n")],
                              values: ["certificate": .string(pem)])
        plan.checkModeValues["certificate"] = Value.string(pem)
        return plan
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .changed() }
}
