import CKeelCurl
import Foundation
import KeelBase

/// Which certificates the controller trusts when it talks to the CA: the system's store by default, a
/// CA file of the user's choice (`ca_path`), or none at all (`validate_certs: false`, for a test CA only).
public struct ACMETrust: Sendable, Equatable, Codable {
    public var caFile: String?
    public var validateCertificates: Bool

    public init(caFile: String? = nil, validateCertificates: Bool = true) {
        self.caFile = caFile
        self.validateCertificates = validateCertificates
    }
}

public struct ACMEResponse: Sendable, Equatable {
    public var status: Int
    /// Header names in lower case; a repeated header (Link) keeps every value, joined by ", ".
    public var headers: [String: String]
    public var links: [(url: String, rel: String)] = []
    public var body: Data

    public static func == (a: ACMEResponse, b: ACMEResponse) -> Bool {
        a.status == b.status && a.headers == b.headers && a.body == b.body
    }
}

/// How the client reaches the CA: one request, one response (a non-2xx status is a response).
public protocol ACMETransport: Sendable {
    func send(_ method: String, _ url: URL, headers: [String: String], body: Data?) async throws -> ACMEResponse
}

/// libcurl, one easy handle per request, on a thread of its own (curl blocks): the CA file is set per
/// request, which Foundation's URLSession on Linux cannot do.
public struct CurlTransport: ACMETransport {
    public var trust: ACMETrust
    public var timeoutSeconds: Int
    public var userAgent: String

    public init(trust: ACMETrust = ACMETrust(), timeoutSeconds: Int = 30, userAgent: String = "keel-acme") {
        self.trust = trust
        self.timeoutSeconds = timeoutSeconds
        self.userAgent = userAgent
    }

    public func send(_ method: String, _ url: URL, headers: [String: String], body: Data?) async throws -> ACMEResponse {
        let trust = self.trust, timeout = timeoutSeconds, agent = userAgent
        return try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try Self.perform(method, url, headers: headers, body: body, trust: trust, timeout: timeout, agent: agent) })
            }
        }
    }

    private static func perform(_ method: String, _ url: URL, headers: [String: String], body: Data?, trust: ACMETrust,
                                timeout: Int, agent: String) throws -> ACMEResponse {
        let lines = headers.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
        var status = 0
        var headerBuffer = keel_curl_buffer(data: nil, length: 0)
        var bodyBuffer = keel_curl_buffer(data: nil, length: 0)
        defer { keel_curl_buffer_free(&headerBuffer); keel_curl_buffer_free(&bodyBuffer) }
        var error = [CChar](repeating: 0, count: 512)
        let payload = body ?? Data()
        let code: Int32 = withCStrings(lines) { headerPointers in
            payload.withUnsafeBytes { bytes in
                method.withCString { m in url.absoluteString.withCString { u in agent.withCString { a in
                    withOptionalCString(trust.caFile) { ca in
                        var request = keel_curl_request(method: m, url: u, headers: headerPointers, header_count: lines.count,
                                                        body: body == nil ? nil : (bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 1)),
                                                        body_length: payload.count, ca_file: ca, verify: trust.validateCertificates ? 1 : 0,
                                                        timeout_seconds: timeout, user_agent: a)
                        return keel_curl_perform(&request, &status, &headerBuffer, &bodyBuffer, &error)
                    }
                } } }
            }
        }
        guard code == 0 else {
            let message = String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            throw KeelError("\(method) \(url.absoluteString) failed: \(message)",
                            expected: Self.expectation(code: code, trust: trust), found: message)
        }
        let rawHeaders = headerBuffer.data.map { String(cString: $0) } ?? ""
        let data = bodyBuffer.data.map { Data(bytes: $0, count: bodyBuffer.length) } ?? Data()
        var response = ACMEResponse(status: status, headers: [:], body: data)
        // Only the last response block counts (a 100 Continue comes first).
        let blocks = rawHeaders.components(separatedBy: "\r\n\r\n").filter { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        for line in (blocks.last ?? "").components(separatedBy: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "link", let link = Self.link(value) { response.links.append(link) }
            response.headers[name] = response.headers[name].map { $0 + ", " + value } ?? value
        }
        return response
    }

    /// `<url>;rel="up"` -> (url, up).
    static func link(_ value: String) -> (url: String, rel: String)? {
        guard let open = value.firstIndex(of: "<"), let close = value.firstIndex(of: ">"), open < close else { return nil }
        let url = String(value[value.index(after: open)..<close])
        guard let relRange = value.range(of: "rel=") else { return nil }
        let rel = value[relRange.upperBound...].trimmingCharacters(in: CharacterSet(charactersIn: "\" ;"))
        return (url, String(rel.split(separator: ";").first ?? ""))
    }

    static func expectation(code: Int32, trust: ACMETrust) -> String {
        switch code {
        case 60, 77, 83: // peer certificate untrusted, CA file unreadable, issuer check failed
            return trust.caFile.map { "a CA certificate trusted by \($0) (ca_path)" }
                ?? "a CA certificate trusted by the system's store (set ca_path to the CA's root, or validate_certs: false for a test CA)"
        case 6: return "a host name that resolves"
        case 7: return "a server listening at that address"
        case 28: return "an answer within the timeout"
        default: return "an HTTP response"
        }
    }
}

private func withOptionalCString<R>(_ text: String?, _ body: (UnsafePointer<CChar>?) -> R) -> R {
    guard let text else { return body(nil) }
    return text.withCString { body($0) }
}

private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let copies = strings.map { strdup($0) }
    defer { copies.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
    return pointers.withUnsafeBufferPointer { body($0.baseAddress) }
}
