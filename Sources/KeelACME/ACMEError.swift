import Foundation
import KeelBase

/// A problem document (RFC 7807, RFC 8555 §6.7) as the CA sent it: its type, detail and subproblems
/// (one per identifier), shown whole because the detail is what the user acts on.
public struct ACMEProblem: Error, Sendable, Equatable, CustomStringConvertible, Decodable {
    public struct Identifier: Sendable, Equatable, Decodable { public var type: String; public var value: String }
    public struct Subproblem: Sendable, Equatable, Decodable {
        public var type: String
        public var detail: String?
        public var identifier: Identifier?
    }

    public var type: String
    public var detail: String?
    public var status: Int?
    public var subproblems: [Subproblem]?
    /// What the client was doing (set by the client, not by the CA).
    public var context: String?

    enum CodingKeys: String, CodingKey { case type, detail, status, subproblems }

    /// The last part of the type: `badNonce` for urn:ietf:params:acme:error:badNonce.
    public var shortType: String { String(type.split(separator: ":").last ?? Substring(type)) }

    public var description: String {
        var text = (context.map { "\($0): " } ?? "") + "the CA answered \(type)"
        if let status { text += " (HTTP \(status))" }
        if let detail, !detail.isEmpty { text += ": \(detail)" }
        for sub in subproblems ?? [] {
            text += "\n  - " + (sub.identifier.map { "\($0.type) \($0.value): " } ?? "") + sub.type + (sub.detail.map { ": \($0)" } ?? "")
        }
        return text
    }
}

/// The client's own errors (bad input, an answer that breaks the protocol): a KeelError with the URL.
public func ACMEError(_ message: String, expected: String? = nil, found: String? = nil) -> KeelError {
    KeelError(message, expected: expected, found: found)
}
