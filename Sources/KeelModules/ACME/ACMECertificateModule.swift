import Foundation
import KeelACME
import KeelBase
import KeelTransport
import OrderedCollections

/// `acme`: a certificate from an ACME CA (Let's Encrypt), on the host,
/// in one task. The private key is made once and kept; the certificate is ordered only when it is missing,
/// due (remaining_days, or the CA's ARI window), or not for the names or the key; every file is written
/// atomically, and only after the CA delivered, so a failure leaves the host as it was.
public struct ACMECertificateModule: Module {
    public static let name = "acme"
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["dest", "fullchain_dest", "combined_dest"]])
    public static var documentation: ModuleDocumentation { ACMECertificateDocumentation.documentation }
    public init() {}

    public struct Arguments: ModuleArguments {
        @Option("domains", .list(.string), required: true, format: .hostname, help: "The certificate's DNS names; the first is also its common name.") var domains: [String]
        @Option("acme_directory", .string, required: true, help: "The CA's directory URL, e.g. https://acme-v02.api.letsencrypt.org/directory.") var acme_directory: String
        @Option("acme_version", .int, default: 2, help: "Only 2 (RFC 8555) exists.") var acme_version: Int
        @Option("validate_certs", .bool, default: true, help: "Check the CA's HTTPS certificate (false only for a test CA).") var validate_certs: Bool
        @Option("ca_path", .path, help: "A PEM file on the controller with the CA certificates to trust for the directory (default: the system's store).") var ca_path: String?
        @Option("account_key_src", .path, aliases: ["account_key"], help: "The account's P-256 private key (PEM) on the controller. Default: a key Keel makes once per directory and keeps in its state directory.") var account_key_src: String?
        @Option("account_key_content", .string, noLog: true, help: "The account key as PEM text (excludes account_key_src).") var account_key_content: String?
        @Option("account_email", .string, format: .singleLine, help: "Contact address for the account (mailto: is added).") var account_email: String?
        @Option("terms_agreed", .bool, default: false, help: "Agree to the CA's terms of service (Let's Encrypt requires it).") var terms_agreed: Bool
        @Option("external_account_binding", .dict, help: "External account binding from the CA: {kid, key (base64url MAC key), alg=HS256}.") var external_account_binding: Value?
        @Option("challenge", .string, default: "http-01", choices: ["http-01"], help: "The challenge type; only http-01.") var challenge: String
        @Option("challenge_responder", choices: Responder.self, default: .webroot, help: "How the HTTP-01 answer is served: `webroot` (a file under `webroot`, served by the host's web server) or `haproxy` (a map entry added through HAProxy's runtime socket; see the example).") var challenge_responder: Responder
        @Option("webroot", .path, help: "The directory served at http://DOMAIN/ (responder webroot).") var webroot: String?
        @Option("haproxy_socket", .path, default: "/run/haproxy/admin.sock", help: "HAProxy's admin socket (responder haproxy).") var haproxy_socket: String
        @Option("haproxy_map", .path, default: "/etc/haproxy/acme-challenge.map", help: "The map the frontend answers challenges from, exactly as the configuration names it (responder haproxy).") var haproxy_map: String
        @Option("privatekey_path", .path, required: true, aliases: ["private_key_path"], help: "The certificate's private key on the host: made once (mode 0600) when missing, then kept.") var privatekey_path: String
        @Option("privatekey_type", choices: CertificateKeyType.self, help: "Type of a new private key (default ecdsa256). An existing key is kept whatever its type, unless this is given and differs: then it is replaced and the certificate reissued.") var privatekey_type: CertificateKeyType?
        @Option("dest", .path, aliases: ["cert_dest"], help: "The certificate alone (PEM, 0644).") var dest: String?
        @Option("chain_dest", .path, aliases: ["chain"], help: "The issuer chain without the certificate (PEM, 0644).") var chain_dest: String?
        @Option("fullchain_dest", .path, aliases: ["fullchain"], help: "Certificate then chain (PEM, 0644).") var fullchain_dest: String?
        @Option("combined_dest", .path, help: "Certificate, chain and private key in one file (0600), as HAProxy's `crt` takes it.") var combined_dest: String?
        @Option("remaining_days", .int, default: 10, help: "Renew when the certificate expires in fewer days (the CA's ARI window, when it offers one, can renew earlier).") var remaining_days: Int
        @Option("ari", .bool, default: true, help: "Ask the CA for its suggested renewal window (ACME Renewal Information) when it offers one.") var ari: Bool
        @Option("force", .bool, default: false, help: "Order a new certificate even when the present one is fine.") var force: Bool
        public init() {}
    }

    public enum Responder: String, OptionChoice, Codable { case webroot, haproxy }

    public struct State: Equatable, Sendable {
        var files: [String: String]
        var renewalWindowStart: Date?
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case issue(ACMEIssueJob)
        case write(ProtectedFileWrite)

        public var description: String {
            switch self {
            case .issue(let job): return job.description
            case .write(let job): return job.description
            }
        }
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        try validate(a, host: host)
        let script = ACMEHostFiles.observationScript([("key", a.privatekey_path), ("cert", a.dest), ("chain", a.chain_dest),
                                                      ("fullchain", a.fullchain_dest), ("combined", a.combined_dest)])
        let files = ACMEHostFiles.parse(try await host.runChecked(script, failure: "cannot read the certificate files").stdoutText)
        var state = State(files: files, renewalWindowStart: nil)
        // ARI is a GET: check mode may ask it too. A CA without it, or one that fails to answer, leaves remaining_days.
        if a.ari, let source = Self.sourceChain(files, wantsChain: a.chain_dest != nil), case .success(let chain) = source, let id = chain.renewalIdentifier {
            let client = ACMEClient(directoryURL: URL(string: a.acme_directory)!, accountKey: .generate(), transport: transport(a))
            state.renewalWindowStart = (try? await client.renewalInfo(certificateID: id))??.start
        }
        return state
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let files = observed.files
        var key: CertificateKey?
        var newKey = false
        if let pem = files["key"] {
            do { key = try CertificateKey(pem: pem) } catch {
                throw KeelError("\(host.name): \(a.privatekey_path) is not a private key Keel can read", expected: "a PEM private key (EC or RSA)",
                                found: String(pem.prefix(30)))
            }
            if let wanted = a.privatekey_type, key?.type != wanted { newKey = true }
        } else { newKey = true }
        let reason = ACMERenewalReason.decide(chain: Self.sourceChain(files, wantsChain: a.chain_dest != nil), key: key, newKey: newKey, domains: a.domains,
                                                remainingDays: a.remaining_days, renewalWindowStart: observed.renewalWindowStart, force: a.force)
        var values: OrderedDictionary<String, Value> = ["domains": .list(a.domains.map(Value.string)), "privatekey_path": .string(a.privatekey_path)]
        for (name, path) in [("dest", a.dest), ("chain_dest", a.chain_dest), ("fullchain_dest", a.fullchain_dest), ("combined_dest", a.combined_dest)] {
            if let path { values[name] = .string(path) }
        }
        if let reason {
            let job = try issueJob(a, keyPEM: newKey ? nil : files["key"], replaces: Self.replaces(files, reason: reason), host: host)
            var plan = Plan<Step>(steps: [.issue(job)], diffs: [Diff(label: "certificate", before: Self.summary(files), after: "\(reason.message): \(a.domains.joined(separator: ", "))\n")],
                                  values: values)
            plan.values["msg"] = .string(reason.doneMessage)
            plan.checkModeValues["msg"] = .string(reason.message)
            return plan
        }
        // The certificate is fine: every derived file must still say the same (a deleted or edited one is rewritten).
        guard case .success(let chain) = Self.sourceChain(files, wantsChain: a.chain_dest != nil), let keyPEM = files["key"] else { return .unchanged(values: values) }
        values["not_after"] = .string(ISO8601DateFormatter().string(from: chain.notAfter))
        values["days_left"] = .int(chain.daysLeft())
        let wanted = ACMEIssueJob.fileJobs(chain: chain, keyPEM: keyPEM, newKey: false, destinations: destinations(a))
        let writes = wanted.filter { files[$0.name] != $0.job.content }.map { Step.write($0.job) }
        values["msg"] = .string(writes.isEmpty ? "ok (expires in \(chain.daysLeft()) days)" : "rewrote derived files")
        guard !writes.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: writes, diffs: writes.map { Diff(label: $0.description, before: "(differs or missing)\n", after: "(from the certificate)\n") }, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var values: OrderedDictionary<String, Value> = [:]
        for step in plan.steps {
            switch step {
            case .write(let job): try await job.perform(on: host)
            case .issue(let job):
                let chain = try await job.run(on: host)
                values["not_after"] = .string(ISO8601DateFormatter().string(from: chain.notAfter))
                values["days_left"] = .int(chain.daysLeft())
            }
        }
        return .changed(values)
    }

    // MARK: helpers

    /// The certificate the other files derive from: fullchain, else the combined file, else dest + chain.
    /// A certificate without its chain file (when chain_dest is wanted) cannot be completed without the CA.
    static func sourceChain(_ files: [String: String], wantsChain: Bool) -> Result<CertificateChain, Error>? {
        if let text = files["fullchain"] ?? files["combined"] { return Result { try CertificateChain(pem: text) } }
        guard let certificate = files["cert"] else { return nil }
        if wantsChain && files["chain"] == nil {
            return .failure(KeelError("the chain file is missing, and only the CA has the chain"))
        }
        return Result { try CertificateChain(pem: certificate + (files["chain"] ?? "")) }
    }

    /// ARI's `replaces`: the old certificate, when this is a renewal of it (not a new key or new names).
    static func replaces(_ files: [String: String], reason: ACMERenewalReason) -> String? {
        // Only the leaf matters here: the chain may be missing.
        switch reason {
        case .expiring, .renewalWindow, .forced:
            if case .success(let chain) = sourceChain(files, wantsChain: false) { return chain.renewalIdentifier }
            return nil
        default: return nil
        }
    }

    static func summary(_ files: [String: String]) -> String {
        guard let source = sourceChain(files, wantsChain: false) else { return "(no certificate)\n" }
        switch source {
        case .failure: return "(an unreadable certificate)\n"
        case .success(let chain):
            return "\(chain.dnsNames.joined(separator: ", ")), expires \(ISO8601DateFormatter().string(from: chain.notAfter)) (in \(chain.daysLeft()) days)\n"
        }
    }

    func transport(_ a: Arguments) -> CurlTransport {
        CurlTransport(trust: ACMETrust(caFile: a.ca_path, validateCertificates: a.validate_certs))
    }

    func destinations(_ a: Arguments) -> ACMEDestinations {
        ACMEDestinations(key: a.privatekey_path, certificate: a.dest, chain: a.chain_dest, fullChain: a.fullchain_dest, combined: a.combined_dest)
    }

    func issueJob(_ a: Arguments, keyPEM: String?, replaces: String?, host: HostContext) throws -> ACMEIssueJob {
        var eab: ACMEIssueJob.EAB?
        if let binding = a.external_account_binding {
            guard let kid = binding["kid"]?.stringValue, let key = binding["key"]?.stringValue else {
                throw KeelError("external_account_binding needs kid and key", expected: "{kid: ..., key: ..., alg: HS256}", found: "\(binding)")
            }
            eab = .init(kid: kid, key: key, alg: binding["alg"]?.stringValue ?? "HS256")
        }
        let responder: ACMEIssueJob.ResponderSpec = a.challenge_responder == .webroot
            ? .webroot(a.webroot ?? "") : .haproxy(socket: a.haproxy_socket, map: a.haproxy_map)
        return ACMEIssueJob(directory: a.acme_directory, trust: ACMETrust(caFile: a.ca_path, validateCertificates: a.validate_certs),
                            account: ACMEAccountKeySource(content: a.account_key_content, path: a.account_key_src, directoryURL: a.acme_directory),
                            contact: a.account_email.map { $0.hasPrefix("mailto:") ? [$0] : ["mailto:" + $0] } ?? [],
                            termsAgreed: a.terms_agreed, eab: eab, domains: a.domains, responder: responder,
                            existingKeyPEM: keyPEM, newKeyType: keyPEM == nil ? (a.privatekey_type ?? .ecdsa256) : nil, replaces: replaces,
                            destinations: destinations(a))
    }

    func validate(_ a: Arguments, host: HostContext) throws {
        guard a.acme_version == 2 else { throw KeelError("acme_version \(a.acme_version) is not supported", expected: "2 (RFC 8555)", found: "\(a.acme_version)") }
        guard let url = URL(string: a.acme_directory), url.scheme == "https" || url.scheme == "http", url.host != nil else {
            throw KeelError("acme_directory is not a URL", expected: "https://CA/directory", found: a.acme_directory)
        }
        if a.challenge_responder == .webroot && (a.webroot ?? "").isEmpty {
            throw KeelError("challenge_responder webroot needs `webroot`", expected: "the directory the web server serves for these names", found: "no webroot")
        }
        if a.account_key_src != nil && a.account_key_content != nil {
            throw KeelError("account_key_src and account_key_content exclude each other", expected: "one of them", found: "both")
        }
        if a.domains.isEmpty { throw KeelError("domains is empty", expected: "at least one DNS name", found: "[]") }
        if a.remaining_days < 0 { throw KeelError("remaining_days is negative", expected: "0 or more", found: "\(a.remaining_days)") }
    }
}
extension CertificateKeyType: OptionChoice {}
