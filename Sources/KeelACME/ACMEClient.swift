import Foundation
import KeelBase

/// An ACME client (RFC 8555) for one directory and one account key: signed requests with fresh nonces
/// (a badNonce is retried with the nonce that came with it), the account, orders, authorizations,
/// challenges, finalization and the certificate's download. It knows no host: answering a challenge is
/// the caller's (`ACMEChallengeResponder`).
public actor ACMEClient {
    public let directoryURL: URL
    public let accountKey: ACMEAccountKey
    let transport: any ACMETransport
    private var cachedDirectory: ACMEDirectory?
    private var nonces: [String] = []
    public private(set) var accountURL: String?
    /// How many times a request refused with badNonce is sent again with a new nonce.
    public private(set) var badNonceRetries = 10
    /// How many requests were sent again after a badNonce (for tests and logs).
    public private(set) var badNoncesRetried = 0
    /// How long `waitFor...` polls before giving up.
    public var pollTimeout: TimeInterval = 120

    public func setBadNonceRetries(_ count: Int) { badNonceRetries = count }

    public init(directoryURL: URL, accountKey: ACMEAccountKey, transport: any ACMETransport) {
        self.directoryURL = directoryURL
        self.accountKey = accountKey
        self.transport = transport
    }

    public func directory() async throws -> ACMEDirectory {
        if let cachedDirectory { return cachedDirectory }
        let response = try await transport.send("GET", directoryURL, headers: [:], body: nil)
        guard response.status == 200 else {
            let problem = Self.problem(response, context: "GET \(directoryURL.absoluteString)")
            throw ACMEError("\(directoryURL.absoluteString) is not an ACME directory (check acme_directory)", expected: "HTTP 200 with the directory's JSON",
                            found: "HTTP \(response.status): " + (problem.map { "\($0)" } ?? Self.excerpt(response.body)))
        }
        do {
            let directory = try JSONDecoder().decode(ACMEDirectory.self, from: response.body)
            cachedDirectory = directory
            return directory
        } catch {
            throw ACMEError("\(directoryURL.absoluteString) is not an ACME directory",
                            expected: "JSON with newNonce, newAccount and newOrder", found: Self.excerpt(response.body))
        }
    }

    // MARK: account

    /// Finds the account of this key, or creates it (`onlyReturnExisting` only looks).
    @discardableResult
    public func account(contact: [String] = [], termsAgreed: Bool = false, externalAccountBinding: ExternalAccountBinding? = nil,
                        onlyReturnExisting: Bool = false) async throws -> ACMEAccount {
        let directory = try await directory()
        var fields: [String] = []
        if onlyReturnExisting { fields.append(#""onlyReturnExisting":true"#) } else {
            if !contact.isEmpty { fields.append(#""contact":[\#(contact.map(JSONText.string).joined(separator: ","))]"#) }
            if termsAgreed { fields.append(#""termsOfServiceAgreed":true"#) }
            if let eab = externalAccountBinding {
                fields.append(#""externalAccountBinding":\#(try eab.jws(accountJWK: accountKey.jwkJSON, url: directory.newAccount))"#)
            } else if directory.meta?.externalAccountRequired == true {
                throw ACMEError("the CA at \(directoryURL.absoluteString) requires external account binding",
                                expected: "external_account_binding with kid and key from the CA", found: "none")
            }
        }
        let response = try await post(directory.newAccount, payload: Data("{\(fields.joined(separator: ","))}".utf8), useJWK: true,
                                      context: onlyReturnExisting ? "looking up the ACME account" : "creating the ACME account")
        var account = try decode(ACMEAccount.self, response, context: "account")
        guard let location = response.headers["location"] else {
            throw ACMEError("the CA created an account without saying where it is", expected: "a Location header", found: "none")
        }
        account.url = location
        accountURL = location
        return account
    }

    // MARK: orders

    public func newOrder(domains: [String], replaces: String? = nil) async throws -> ACMEOrder {
        let directory = try await directory()
        let identifiers = domains.map { #"{"type":"dns","value":\#(JSONText.string($0))}"# }.joined(separator: ",")
        let replacing = replaces.map { #","replaces":\#(JSONText.string($0))"# } ?? ""
        let response = try await post(directory.newOrder, payload: Data(#"{"identifiers":[\#(identifiers)]\#(replacing)}"#.utf8),
                                      context: "ordering a certificate for \(domains.joined(separator: ", "))")
        var order = try decode(ACMEOrder.self, response, context: "order")
        order.url = response.headers["location"] ?? ""
        return order
    }

    public func order(_ url: String) async throws -> ACMEOrder {
        var order = try decode(ACMEOrder.self, try await post(url, payload: nil, context: "reading the order"), context: "order")
        order.url = url
        return order
    }

    public func authorization(_ url: String) async throws -> ACMEAuthorization {
        try decode(ACMEAuthorization.self, try await post(url, payload: nil, context: "reading an authorization"), context: "authorization")
    }

    /// Tells the CA the challenge is ready to be validated.
    public func respond(to challenge: ACMEChallenge) async throws {
        _ = try await post(challenge.url, payload: Data("{}".utf8), context: "answering the \(challenge.type) challenge")
    }

    /// Polls the authorization until it is no longer pending; an invalid one throws the VA's problem.
    public func waitForAuthorization(_ url: String) async throws -> ACMEAuthorization {
        let deadline = Date().addingTimeInterval(pollTimeout)
        while true {
            let authorization = try await authorization(url)
            switch authorization.status {
            case "valid": return authorization
            case "pending", "processing":
                guard Date() < deadline else {
                    throw ACMEError("the CA did not validate \(authorization.identifier.value) within \(Int(pollTimeout)) s",
                                    expected: "status valid", found: "status \(authorization.status)")
                }
                try await Task.sleep(for: .milliseconds(500))
            default:
                let failed = authorization.challenges.first { $0.error != nil }
                if var problem = failed?.error {
                    problem.context = "the CA could not validate \(authorization.identifier.value) (\(failed!.type))"
                    throw problem
                }
                throw ACMEError("the authorization for \(authorization.identifier.value) is \(authorization.status)",
                                expected: "valid", found: authorization.status)
            }
        }
    }

    /// Polls the order until it leaves `from` (pending/processing), returns it.
    public func waitForOrder(_ url: String, while states: Set<String>) async throws -> ACMEOrder {
        let deadline = Date().addingTimeInterval(pollTimeout)
        while true {
            let order = try await order(url)
            if !states.contains(order.status) {
                if order.status == "invalid" {
                    if var problem = order.error { problem.context = "the order failed"; throw problem }
                    throw ACMEError("the order \(url) became invalid", expected: "ready or valid", found: "invalid")
                }
                return order
            }
            guard Date() < deadline else {
                throw ACMEError("the order \(url) stayed \(order.status) for \(Int(pollTimeout)) s", expected: "ready or valid", found: order.status)
            }
            try await Task.sleep(for: .milliseconds(500))
        }
    }

    public func finalize(_ order: ACMEOrder, csrDER: Data) async throws -> ACMEOrder {
        let response = try await post(order.finalize, payload: Data(#"{"csr":"\#(Base64URL.encode(csrDER))"}"#.utf8), context: "finalizing the order")
        var finalized = try decode(ACMEOrder.self, response, context: "order")
        finalized.url = order.url
        return finalized
    }

    /// The certificate chain in PEM, leaf first.
    public func downloadCertificate(_ url: String) async throws -> String {
        let response = try await post(url, payload: nil, accept: "application/pem-certificate-chain", context: "downloading the certificate")
        let text = String(decoding: response.body, as: UTF8.self)
        guard text.contains("-----BEGIN CERTIFICATE-----") else {
            throw ACMEError("the CA's certificate download is not PEM", expected: "application/pem-certificate-chain", found: Self.excerpt(response.body))
        }
        return text
    }

    /// ARI: the CA's suggested renewal window for a certificate, nil when the CA does not offer ARI.
    public func renewalInfo(certificateID: String) async throws -> ACMERenewalInfo? {
        guard let base = try await directory().renewalInfo else { return nil }
        let url = URL(string: base.hasSuffix("/") ? base + certificateID : base + "/" + certificateID)!
        let response = try await transport.send("GET", url, headers: [:], body: nil)
        guard response.status == 200 else { return nil }
        return try? JSONDecoder().decode(ACMERenewalInfo.self, from: response.body)
    }

    // MARK: the whole issuance

    /// Orders a certificate for `domains`, answers each pending HTTP-01 challenge through `responder`
    /// (and takes the answers down again, whatever happens), finalizes with the CSR, downloads the chain.
    public func issue(domains: [String], csrDER: Data, responder: any ACMEChallengeResponder, replaces: String? = nil) async throws -> String {
        var order: ACMEOrder
        // `replaces` belongs to ARI: only a CA that offers renewalInfo is told which certificate this renews.
        let replaces = try await directory().renewalInfo == nil ? nil : replaces
        do { order = try await newOrder(domains: domains, replaces: replaces) } catch let problem as ACMEProblem where replaces != nil {
            // A CA may refuse `replaces` (the old certificate unknown to it): order without it.
            _ = problem
            order = try await newOrder(domains: domains)
        }
        for url in order.authorizations {
            let authorization = try await authorization(url)
            guard authorization.status == "pending" else {
                if authorization.status == "valid" { continue }
                throw ACMEError("the authorization for \(authorization.identifier.value) is \(authorization.status)", expected: "pending or valid",
                                found: authorization.status)
            }
            guard let challenge = authorization.challenges.first(where: { $0.type == "http-01" }), let token = challenge.token else {
                throw ACMEError("the CA offers no http-01 challenge for \(authorization.identifier.value)", expected: "http-01",
                                found: authorization.challenges.map(\.type).joined(separator: ", "))
            }
            let keyAuthorization = accountKey.keyAuthorization(token: token)
            try await responder.deploy(domain: authorization.identifier.value, token: token, keyAuthorization: keyAuthorization)
            do {
                try await respond(to: challenge)
                _ = try await waitForAuthorization(url)
            } catch {
                try? await responder.remove(domain: authorization.identifier.value, token: token)
                throw error
            }
            try await responder.remove(domain: authorization.identifier.value, token: token)
        }
        order = try await waitForOrder(order.url, while: ["pending"])
        if order.status == "ready" { order = try await finalize(order, csrDER: csrDER) }
        order = try await waitForOrder(order.url, while: ["ready", "processing"])
        guard order.status == "valid", let certificate = order.certificate else {
            throw ACMEError("the order ended \(order.status) without a certificate", expected: "valid with a certificate URL", found: order.status)
        }
        return try await downloadCertificate(certificate)
    }

    // MARK: signed requests

    private func freshNonce() async throws -> String {
        if let nonce = nonces.popLast() { return nonce }
        let url = try await directory().newNonce
        let response = try await transport.send("HEAD", URL(string: url)!, headers: [:], body: nil)
        guard let nonce = response.headers["replay-nonce"] else {
            throw ACMEError("the CA gave no nonce at \(url)", expected: "a Replay-Nonce header", found: "HTTP \(response.status) without one")
        }
        return nonce
    }

    /// A JWS POST (payload nil: POST-as-GET) signed with `kid` once the account is known; a badNonce is
    /// sent again with a new nonce, up to `badNonceRetries` times. A problem document becomes ACMEProblem.
    func post(_ url: String, payload: Data?, useJWK: Bool = false, accept: String? = nil, context: String) async throws -> ACMEResponse {
        guard let target = URL(string: url) else { throw ACMEError("the CA gave a URL that is not one", expected: "a URL", found: url) }
        if !useJWK, accountURL == nil { try await account(onlyReturnExisting: true) }
        var attempt = 0
        while true {
            let body = try accountKey.sign(payload: payload, url: url, nonce: try await freshNonce(), kid: useJWK ? nil : accountURL)
            var headers = ["Content-Type": "application/jose+json"]
            if let accept { headers["Accept"] = accept }
            let response = try await transport.send("POST", target, headers: headers, body: body)
            if let nonce = response.headers["replay-nonce"] { nonces.append(nonce) }
            if (200..<300).contains(response.status) { return response }
            let problem = Self.problem(response, context: context)
            if let problem, problem.shortType == "badNonce", attempt < badNonceRetries {
                attempt += 1
                badNoncesRetried += 1
                continue
            }
            throw problem ?? ACMEError("\(context): the CA answered HTTP \(response.status)", expected: "a 2xx answer or a problem document",
                                       found: Self.excerpt(response.body))
        }
    }

    static func problem(_ response: ACMEResponse, context: String) -> ACMEProblem? {
        guard var problem = try? JSONDecoder().decode(ACMEProblem.self, from: response.body) else { return nil }
        problem.context = context
        if problem.status == nil { problem.status = response.status }
        return problem
    }

    private func decode<T: Decodable>(_ type: T.Type, _ response: ACMEResponse, context: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: response.body) } catch {
            throw ACMEError("the CA's \(context) is not what RFC 8555 describes", expected: "a JSON \(context) object", found: Self.excerpt(response.body))
        }
    }

    static func excerpt(_ body: Data) -> String {
        let text = String(decoding: body.prefix(300), as: UTF8.self)
        return text.isEmpty ? "an empty body" : text
    }
}

/// Who makes the CA's HTTP-01 request succeed: puts the key authorization where
/// http://DOMAIN/.well-known/acme-challenge/TOKEN answers with it, and takes it down again.
public protocol ACMEChallengeResponder: Sendable {
    func deploy(domain: String, token: String, keyAuthorization: String) async throws
    func remove(domain: String, token: String) async throws
}
