import Foundation

/// The directory (RFC 8555 §7.1.1): where each resource lives. `renewalInfo` is ARI (RFC 9773).
public struct ACMEDirectory: Sendable, Equatable, Decodable {
    public struct Meta: Sendable, Equatable, Decodable {
        public var termsOfService: String?
        public var externalAccountRequired: Bool?
    }
    public var newNonce: String
    public var newAccount: String
    public var newOrder: String
    public var revokeCert: String?
    public var keyChange: String?
    public var renewalInfo: String?
    public var meta: Meta?
}

public struct ACMEAccount: Sendable, Equatable, Decodable {
    public var status: String
    public var contact: [String]?
    /// From the Location header, not the body.
    public var url: String = ""
    enum CodingKeys: String, CodingKey { case status, contact }
}

public struct ACMEIdentifier: Sendable, Equatable, Codable {
    public var type: String
    public var value: String
    public static func dns(_ name: String) -> ACMEIdentifier { ACMEIdentifier(type: "dns", value: name) }
}

public struct ACMEOrder: Sendable, Equatable, Decodable {
    public var status: String
    public var expires: String?
    public var identifiers: [ACMEIdentifier]
    public var authorizations: [String]
    public var finalize: String
    public var certificate: String?
    public var error: ACMEProblem?
    public var url: String = ""
    enum CodingKeys: String, CodingKey { case status, expires, identifiers, authorizations, finalize, certificate, error }
}

public struct ACMEChallenge: Sendable, Equatable, Decodable {
    public var type: String
    public var url: String
    public var status: String
    public var token: String?
    public var error: ACMEProblem?
}

public struct ACMEAuthorization: Sendable, Equatable, Decodable {
    public var identifier: ACMEIdentifier
    public var status: String
    public var challenges: [ACMEChallenge]
    public var wildcard: Bool?
}

/// ARI's answer: the window in which to renew.
public struct ACMERenewalInfo: Sendable, Equatable, Decodable {
    public struct Window: Sendable, Equatable, Decodable { public var start: String; public var end: String }
    public var suggestedWindow: Window

    /// The window's start as a date (RFC 3339, with or without fractional seconds).
    public var start: Date? { Self.date(suggestedWindow.start) }
    public var end: Date? { Self.date(suggestedWindow.end) }

    static func date(_ text: String) -> Date? {
        let plain = ISO8601DateFormatter()
        if let d = plain.date(from: text) { return d }
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return fractional.date(from: text)
    }
}
