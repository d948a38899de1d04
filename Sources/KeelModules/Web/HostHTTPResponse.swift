import Foundation
import KeelBase
import OrderedCollections

/// The answer to a `HostHTTPRequest`, parsed from its script's output: each response's status line and
/// headers (redirects included), the client's own message, the body (or where it was kept on the host).
public struct HostHTTPResponse: Sendable, Equatable {
    /// One response of the exchange (a redirect is one, the final answer another).
    public struct Hop: Sendable, Equatable {
        public var status: Int
        public var reason: String
        public var headers: [(name: String, value: String)]

        public static func == (a: Hop, b: Hop) -> Bool {
            a.status == b.status && a.reason == b.reason && a.headers.map { [$0.name, $0.value] } == b.headers.map { [$0.name, $0.value] }
        }

        public func header(_ name: String) -> String? {
            let values = headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
            return values.isEmpty ? nil : values.joined(separator: ", ")
        }
    }

    public var tool: String
    public var exitStatus: Int
    public var hops: [Hop]
    /// What the client said (curl's error, wget's lines that are not headers).
    public var message: String
    public var body: Data?
    /// The host directory holding the body when it was kept there.
    public var keptDirectory: String?
    /// Where the request ended after redirects.
    public var finalURL: String

    /// The final answer, nil when no response arrived (connection refused, timeout, bad certificate).
    public var last: Hop? { hops.last }
    /// Ansible's status: the final response's code, -1 when none arrived.
    public var status: Int { last?.status ?? -1 }

    /// Parses the script's output for a request to `url`.
    public static func parse(_ output: Data, requestURL url: String) throws -> HostHTTPResponse {
        guard let newline = output.firstIndex(of: 0x0A) else { throw KeelError("the HTTP request printed nothing it could be read from") }
        let head = String(decoding: output[output.startIndex..<newline], as: UTF8.self).split(separator: " ").map(String.init)
        guard head.count == 7, head[0] == "KEEL-HTTP", let rc = Int(head[2]), let hl = Int(head[3]), let ml = Int(head[4]), let bl = Int(head[5]) else {
            throw KeelError("unexpected output of the HTTP request: \(String(decoding: output.prefix(200), as: UTF8.self))")
        }
        var offset = newline + 1
        func take(_ count: Int) -> Data {
            let end = min(offset + count, output.endIndex)
            defer { offset = end }
            return Data(output[offset..<end])
        }
        // "\r\n" is one Character in Swift: normalise line ends before splitting.
        let headerText = String(decoding: take(hl), as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
        var message = String(decoding: take(ml), as: UTF8.self)
        let body = bl >= 0 ? take(bl) : nil
        let hops: [Hop]
        if head[1] == "wget" {
            // Headers are the lines wget indents by two spaces; the rest is its own account.
            let lines = headerText.split(separator: "\n", omittingEmptySubsequences: false)
            hops = Self.hops(lines.filter { $0.hasPrefix("  ") }.map { String($0.dropFirst(2)) })
            message = lines.filter { !$0.hasPrefix("  ") && !$0.isEmpty }.joined(separator: "\n")
        } else {
            hops = Self.hops(headerText.split(separator: "\n", omittingEmptySubsequences: false).map { String($0) })
        }
        var final = url
        for hop in hops.dropLast() {
            if let location = hop.header("location"), let resolved = URL(string: location, relativeTo: URL(string: final)) {
                final = resolved.absoluteString
            }
        }
        return HostHTTPResponse(tool: head[1], exitStatus: rc, hops: hops, message: message.trimmingCharacters(in: .whitespacesAndNewlines),
                                body: body, keptDirectory: head[6] == "-" ? nil : head[6], finalURL: final)
    }

    /// Splits header lines into responses: each starts with its status line (`HTTP/1.1 200 OK`). An
    /// interim `100 Continue` is not a response of its own.
    static func hops(_ lines: [String]) -> [Hop] {
        var hops: [Hop] = []
        for raw in lines {
            let line = raw.hasSuffix("\r") ? String(raw.dropLast()) : raw
            if line.hasPrefix("HTTP/") {
                let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
                let status = parts.count > 1 ? Int(parts[1]) ?? -1 : -1
                if let previous = hops.last, previous.status == 100 { hops.removeLast() }
                hops.append(Hop(status: status, reason: parts.count > 2 ? String(parts[2]) : "", headers: []))
            } else if let colon = line.firstIndex(of: ":"), !hops.isEmpty, !line.hasPrefix(" ") {
                let name = String(line[..<colon])
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                hops[hops.count - 1].headers.append((name, value))
            }
        }
        if let previous = hops.last, previous.status == 100 { hops.removeLast() }
        return hops
    }

    /// Ansible's `info` for this exchange (fetch_url): the final response's headers, lowercased, a
    /// header sent twice joined with ", "; cookies; msg; url; status.
    public func ansibleInfo(requestURL: String) -> OrderedDictionary<String, Value> {
        var info: OrderedDictionary<String, Value> = ["url": .string(HostHTTPRequest.masked(requestURL)), "status": .int(-1)]
        guard let last else {
            info["msg"] = .string("Request failed: \(message.isEmpty ? "no response (\(tool) exited \(exitStatus))" : message)")
            return info
        }
        for (name, _) in last.headers where info[name.lowercased()] == nil {
            info[name.lowercased()] = .string(last.header(name) ?? "")
        }
        let isError = last.status >= 300 && !(200..<300).contains(last.status)
        if isError {
            info["msg"] = .string("HTTP Error \(last.status): \(last.reason)")
        } else {
            var cookies: OrderedDictionary<String, Value> = [:]
            for hop in hops {
                for header in hop.headers where header.name.lowercased() == "set-cookie" {
                    let pair = header.value.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
                    if let eq = pair.firstIndex(of: "=") {
                        cookies[pair[..<eq].trimmingCharacters(in: .whitespaces)] = .string(pair[pair.index(after: eq)...].trimmingCharacters(in: .whitespaces))
                    }
                }
            }
            info["cookies_string"] = .string(cookies.map { "\($0.key)=\($0.value.stringValue ?? "")" }.joined(separator: "; "))
            info["cookies"] = .dict(cookies)
            info["msg"] = .string("OK (\(last.header("content-length") ?? "unknown") bytes)")
        }
        info["url"] = .string(HostHTTPRequest.masked(finalURL))
        info["status"] = .int(last.status)
        return info
    }
}
