import Foundation
import KeelACME
import KeelBase
import KeelTransport
import OrderedCollections
import SwiftASN1
import X509

/// `x509_certificate` (community.crypto) with the providers `selfsigned` and `ownca`: a certificate for a
/// CSR on the host, signed on the controller (by the CSR's own key, or by a CA whose certificate and key
/// are on the host), kept while it is for that CSR, from that issuer, and not expired.
public struct X509CertificateModule: Module {
    public static let name = "x509_certificate"
    public static let aliases = ["community.crypto.x509_certificate"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "A self-signed or own-CA certificate for a CSR on the host",
        description: "Reads the CSR (`csr_path`), the keys and the CA certificate on the host, and writes a certificate (PEM, 0644, atomically) when there is none, or when the present one is not for the CSR's subject, names and key, not from the expected issuer (selfsigned: the key of `privatekey_path`; ownca: `ownca_path`'s certificate and key), or has expired.",
        examples: """
            - x509_certificate:
                path: /etc/ssl/site.crt
                csr_path: /etc/ssl/site.csr
                privatekey_path: /etc/ssl/private/site.key
                provider: selfsigned
            - x509_certificate:
                path: /etc/ssl/api.crt
                csr_path: /etc/ssl/api.csr
                provider: ownca
                ownca_path: /etc/ssl/ca.crt
                ownca_privatekey_path: /etc/ssl/private/ca.key
                ownca_not_after: +365d
            """,
        deviations: ["Compared with community.crypto.x509_certificate: providers selfsigned and ownca only (acme: use the `acme` module; entrust: none).", "Times as +Nd/+Nh/+Nm/+Ns or ASN.1 (YYYYMMDDHHMMSSZ); the serial is random (128 bits).", "The certificate file is written 0644 as the connecting user: no mode, owner, group or backup options."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, help: "The certificate file on the host.") var path: String
        @Option("provider", .string, required: true, choices: ["selfsigned", "ownca"], help: "Who signs: the CSR's own key, or your CA.") var provider: String
        @Option("csr_path", .path, required: true, help: "The CSR on the host.") var csr_path: String
        @Option("privatekey_path", .path, help: "The certificate's key on the host (required for selfsigned).") var privatekey_path: String?
        @Option("ownca_path", .path, help: "The CA certificate on the host (ownca).") var ownca_path: String?
        @Option("ownca_privatekey_path", .path, help: "The CA's private key on the host (ownca).") var ownca_privatekey_path: String?
        @Option("selfsigned_not_before", .string, default: "+0s", help: "Start of validity (selfsigned).") var selfsigned_not_before: String
        @Option("selfsigned_not_after", .string, default: "+3650d", help: "End of validity (selfsigned).") var selfsigned_not_after: String
        @Option("ownca_not_before", .string, default: "+0s", help: "Start of validity (ownca).") var ownca_not_before: String
        @Option("ownca_not_after", .string, default: "+3650d", help: "End of validity (ownca).") var ownca_not_after: String
        @Option("state", .string, default: "present", choices: ["present", "absent"], help: "present or absent.") var state: String
        @Option("force", .bool, default: false, help: "Sign a new certificate on every run.") var force: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable { var files: [String: Data]; var exists: Bool }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case write(ProtectedFileWrite)
        case remove(String)
        public var description: String {
            switch self { case .write(let job): return job.description; case .remove(let path): return "remove \(path)" }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        var files: [String: Data] = [:]
        let certificate = try await RemotePath.observe(a.path, on: host, contentLimit: 1 << 20)
        if a.state == "absent" { return State(files: [:], exists: certificate.kind != .absent) }
        files["cert"] = certificate.content
        let wanted: [(String, String?)] = [("csr", a.csr_path), ("key", a.privatekey_path), ("ca", a.ownca_path), ("cakey", a.ownca_privatekey_path)]
        for (name, path) in wanted {
            guard let path else { continue }
            let file = try await RemotePath.observe(path, on: host, contentLimit: 1 << 20)
            guard let content = file.content else { throw KeelError("\(host.name): nothing at \(path)", expected: "the file \(name == "csr" ? "csr_path" : name) names", found: "nothing") }
            files[name] = content
        }
        return State(files: files, exists: certificate.kind != .absent)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["filename": .string(a.path)]
        if a.state == "absent" { return observed.exists ? Plan(steps: [.remove(a.path)], values: values) : .unchanged(values: values) }
        if a.provider == "selfsigned" && a.privatekey_path == nil {
            throw KeelError("provider selfsigned needs privatekey_path", expected: "the CSR's private key", found: "none")
        }
        if a.provider == "ownca" && (a.ownca_path == nil || a.ownca_privatekey_path == nil) {
            throw KeelError("provider ownca needs ownca_path and ownca_privatekey_path", expected: "the CA's certificate and key", found: "not both")
        }
        let selfsigned = a.provider == "selfsigned"
        guard let pem = try Self.certificateToWrite(selfsigned: selfsigned, files: observed.files,
                                                    notBefore: selfsigned ? a.selfsigned_not_before : a.ownca_not_before,
                                                    notAfter: selfsigned ? a.selfsigned_not_after : a.ownca_not_after, force: a.force, host: host.name) else {
            return .unchanged(values: values)
        }
        return Plan(steps: [.write(ProtectedFileWrite(path: a.path, content: pem, mode: 0o644))],
                    diffs: [Diff(label: a.path, before: observed.files["cert"] == nil ? "(absent)\n" : "(a certificate for other data, or expired)\n",
                                 after: "(\(a.provider) certificate)\n")], values: values)
    }

    /// The certificate to write (PEM), or nil when `files["cert"]` is still right. `files`: csr, and key
    /// (selfsigned) or ca and cakey (ownca), as the host has them. Shared with x509_certificate_pipe.
    static func certificateToWrite(selfsigned: Bool, files: [String: Data], notBefore: String, notAfter: String, force: Bool, host: String) throws -> String? {
        func text(_ name: String) -> String { String(decoding: files[name] ?? Data(), as: UTF8.self) }
        let csr: CertificateSigningRequest
        do { csr = try CertificateSigningRequest(pemEncoded: text("csr")) } catch {
            throw KeelError("\(host): the CSR cannot be read", expected: "-----BEGIN CERTIFICATE REQUEST-----", found: "\(error)")
        }
        let signer: CertificateKey
        var issuer: Certificate?
        if selfsigned {
            signer = try CertificateKey(pem: text("key"))
            guard signer.publicKey == csr.publicKey else { throw KeelError("\(host): the private key is not the CSR's", expected: "the CSR's key", found: "another key") }
        } else {
            signer = try CertificateKey(pem: text("cakey"))
            issuer = try CertificateChain(pem: text("ca")).leaf
        }
        let now = Date()
        guard let from = X509CertificateInfoModule.time(notBefore, now: now), let until = X509CertificateInfoModule.time(notAfter, now: now) else {
            throw KeelError("not_before/not_after are not times", expected: "+3650d or 20300101000000Z", found: "\(notBefore), \(notAfter)")
        }
        if !force, let existing = files["cert"], let current = try? CertificateChain(pem: String(decoding: existing, as: UTF8.self)).leaf,
           isValid(current, for: csr, signer: signer, issuer: issuer, now: now) {
            return nil
        }
        return try CertificateBuilder.pem(try CertificateBuilder.certificate(for: csr, issuerKey: signer, issuer: issuer, notBefore: from, notAfter: until))
    }

    static func isValid(_ certificate: Certificate, for csr: CertificateSigningRequest, signer: CertificateKey, issuer: Certificate?, now: Date) -> Bool {
        guard certificate.publicKey == csr.publicKey, certificate.subject == csr.subject, certificate.notValidAfter > now else { return false }
        let wantedNames = (((try? csr.attributes.extensionRequest) ?? nil)?.extensions).flatMap { (try? $0.subjectAlternativeNames) ?? nil }.map { Array($0) } ?? []
        let names = ((try? certificate.extensions.subjectAlternativeNames) ?? nil).map { Array($0) } ?? []
        guard names == wantedNames, certificate.issuer == (issuer?.subject ?? csr.subject) else { return false }
        return signer.publicKey.isValidSignature(certificate.signature, for: certificate)
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
