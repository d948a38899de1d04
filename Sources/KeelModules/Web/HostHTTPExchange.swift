import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// A request run on the host and its parsed answer, with the result fields uri and get_url share.
public struct HostHTTPExchange: Sendable {
    public var response: HostHTTPResponse

    /// Runs the request on the host; fails clearly when the host has no HTTP client.
    public static func perform(_ request: HostHTTPRequest, on host: HostContext) async throws -> HostHTTPExchange {
        let result = try await host.run(request.script(), stdin: request.stdin())
        if result.status == HostHTTPRequest.noClientStatus {
            throw KeelError("\(host.name): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))",
                            expected: "curl or GNU wget on the host", found: "neither")
        }
        guard result.status == 0 else {
            throw KeelError("\(host.name): cannot make the HTTP request: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return HostHTTPExchange(response: try HostHTTPResponse.parse(result.stdout, requestURL: request.url))
    }

    /// uri's fields: fetch_url's info with every key lowercased and - turned into _, `location` made
    /// absolute against the request's URL, and `redirected`.
    public func values(requestURL: String) -> OrderedDictionary<String, Value> {
        let masked = HostHTTPRequest.masked(requestURL)
        let info = response.ansibleInfo(requestURL: requestURL)
        var values: OrderedDictionary<String, Value> = ["redirected": .bool(info["url"]?.stringValue != masked)]
        for (key, value) in info { values[key.replacingOccurrences(of: "-", with: "_").lowercased()] = value }
        if let location = values["location"]?.stringValue, let resolved = URL(string: location, relativeTo: URL(string: masked)) {
            values["location"] = .string(resolved.absoluteString)
        }
        return values
    }

    /// Whether the answer's Content-Type is JSON (application/json, text/javascript, a +json suffix).
    public var isJSON: Bool {
        guard let type = response.last?.header("content-type")?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased(),
              let slash = type.firstIndex(of: "/") else { return false }
        var sub = String(type[type.index(after: slash)...])
        if let plus = sub.firstIndex(of: "+") { sub = String(sub[sub.index(after: plus)...]) }
        return sub == "json" || sub == "javascript"
    }

    /// The file a body goes to: `dest` itself, or inside it when it is a directory on the host (the
    /// name from Content-Disposition, else the URL's last path segment, else index.html).
    public static func fileDestination(_ dest: String, response: HostHTTPResponse, on host: HostContext, fallback: String = "index.html") async throws -> String {
        let isDirectory = try await host.run("[ -d \(ShellQuote.quote(dest)) ]").status == 0
        guard isDirectory else { return dest }
        return (dest.hasSuffix("/") ? dest : dest + "/") + (responseFileName(response) ?? fallback)
    }

    /// A file name from Content-Disposition's filename, else from the final URL's path (nil when it ends in /).
    public static func responseFileName(_ response: HostHTTPResponse) -> String? {
        if let disposition = response.last?.header("content-disposition"), let range = disposition.range(of: "filename=") {
            let name = disposition[range.upperBound...].split(separator: ";").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"'")) } ?? ""
            let base = (name as NSString).lastPathComponent
            if !base.isEmpty && base != "." && base != ".." { return base }
        }
        guard let url = URL(string: response.finalURL) else { return nil }
        let last = url.lastPathComponent
        return last.isEmpty || last == "/" ? nil : last.removingPercentEncoding ?? last
    }
}

/// application/x-www-form-urlencoded as Python's urlencode(doseq=True) writes it: a mapping or a list of
/// pairs; a list value repeats its key; None values are left out; spaces become +.
enum FormURLEncoding {
    static func encode(_ body: Value) throws -> String {
        var pairs: [(String, Value)] = []
        switch body {
        case .string(let s): return s
        case .dict(let d): pairs = d.map { ($0.key, $0.value) }
        case .list(let l):
            for item in l {
                guard case .list(let pair) = item, pair.count == 2 else { throw KeelError("failed to parse body as form_urlencoded: expected a list of [key, value] pairs", found: item.jsonString()) }
                pairs.append((text(pair[0]), pair[1]))
            }
        default: throw KeelError("cannot form-urlencode body, expect list or dict", found: body.typeName)
        }
        var out: [String] = []
        for (key, value) in pairs {
            let values: [Value] = if case .list(let l) = value { l } else { [value] }
            for v in values where !v.isNull { out.append(quote(key) + "=" + quote(text(v))) }
        }
        return out.joined(separator: "&")
    }

    static func text(_ v: Value) -> String {
        switch v {
        case .string(let s): return s
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: return v.jsonString()
        }
    }

    /// quote_plus: letters, digits and _.-~ stay; space is +; everything else %XX of its UTF-8 bytes.
    static func quote(_ s: String) -> String {
        var out = ""
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "~"):
                out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: " "): out.append("+")
            default: out += String(format: "%%%02X", byte)
            }
        }
        return out
    }
}
