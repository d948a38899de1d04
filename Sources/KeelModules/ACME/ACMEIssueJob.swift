import Foundation
import KeelACME
import KeelBase

/// Where the module writes: the key, and any of the certificate's four forms.
struct ACMEDestinations: Sendable, Codable, Equatable {
    var key: String
    var certificate: String?
    var chain: String?
    var fullChain: String?
    var combined: String?
}

/// One issuance, carrying all it needs (the plan is a value): the CA, the account, the names, how to
/// answer HTTP-01, the key (the host's, or a type to make a new one), and where the results go.
public struct ACMEIssueJob: Sendable, Codable, Equatable, CustomStringConvertible {
    struct EAB: Sendable, Codable, Equatable { var kid: String; var key: String; var alg: String }
    enum ResponderSpec: Sendable, Codable, Equatable { case webroot(String), haproxy(socket: String, map: String) }

    var directory: String
    var trust: ACMETrust
    var account: ACMEAccountKeySource
    var contact: [String]
    var termsAgreed: Bool
    var eab: EAB?
    var domains: [String]
    var responder: ResponderSpec
    /// The host's key, or nil with `newKeyType` for a key made here (written only with the certificate).
    var existingKeyPEM: String?
    var newKeyType: CertificateKeyType?
    var replaces: String?
    var destinations: ACMEDestinations

    public var description: String {
        let via: String
        switch responder {
        case .webroot(let path): via = "webroot \(path)"
        case .haproxy(let socket, let map): via = "HAProxy map \(map) via \(socket)"
        }
        return "order a certificate for \(domains.joined(separator: ", ")) from \(directory) (http-01 through \(via))"
            + (newKeyType.map { ", with a new \($0.rawValue) key" } ?? "")
    }

    /// Orders, answers, downloads; then writes every file. Nothing is written before the CA delivered.
    func run(on host: HostContext) async throws -> CertificateChain {
        let keyPEM = try existingKeyPEM ?? (newKeyType ?? .ecdsa256).generatePEM()
        let key = try CertificateKey(pem: keyPEM)
        let accountKey = try account.load { try host.services.state.directory(for: "acme") }
        guard let url = URL(string: directory) else { throw KeelError("acme_directory is not a URL", found: directory) }
        let client = ACMEClient(directoryURL: url, accountKey: accountKey, transport: CurlTransport(trust: trust))
        try await client.account(contact: contact, termsAgreed: termsAgreed,
                                 externalAccountBinding: eab.map { ExternalAccountBinding(keyIdentifier: $0.kid, macKey: $0.key, algorithm: $0.alg) })
        let responder: any ACMEChallengeResponder
        switch self.responder {
        case .webroot(let path): responder = WebrootResponder(host: host, webroot: path)
        case .haproxy(let socket, let map): responder = HAProxyMapResponder(host: host, socket: socket, map: map)
        }
        let pem = try await client.issue(domains: domains, csrDER: try key.csr(domains: domains), responder: responder, replaces: replaces)
        let chain = try CertificateChain(pem: pem)
        guard chain.leaf.publicKey == key.publicKey else {
            throw KeelError("the CA issued a certificate for another key", expected: "the key of the CSR", found: "a different public key")
        }
        for file in Self.fileJobs(chain: chain, keyPEM: keyPEM, newKey: existingKeyPEM == nil, destinations: destinations) {
            try await file.job.perform(on: host)
        }
        return chain
    }

    /// The files and their contents (named as ACMEHostFiles observes them). The key comes first, the
    /// combined file last, so a reader of the combined file never sees a certificate without its key.
    static func fileJobs(chain: CertificateChain, keyPEM: String, newKey: Bool, destinations d: ACMEDestinations) -> [(name: String, job: ProtectedFileWrite)] {
        var jobs: [(String, ProtectedFileWrite)] = []
        if newKey { jobs.append(("key", ProtectedFileWrite(path: d.key, content: keyPEM, mode: 0o600))) }
        if let p = d.certificate { jobs.append(("cert", ProtectedFileWrite(path: p, content: chain.leafPEM, mode: 0o644))) }
        if let p = d.chain { jobs.append(("chain", ProtectedFileWrite(path: p, content: chain.chainPEM, mode: 0o644))) }
        if let p = d.fullChain { jobs.append(("fullchain", ProtectedFileWrite(path: p, content: chain.fullChainPEM, mode: 0o644))) }
        let keyText = keyPEM.hasSuffix("\n") ? keyPEM : keyPEM + "\n"
        if let p = d.combined { jobs.append(("combined", ProtectedFileWrite(path: p, content: chain.fullChainPEM + keyText, mode: 0o600))) }
        return jobs
    }
}
