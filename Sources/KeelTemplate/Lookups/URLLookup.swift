import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeelBase
import OrderedCollections

/// url: each term's URL fetched from the controller with GET; the body split into lines (`split_lines`,
/// on by default) or whole. A status of 400 or more, or no answer within `timeout` seconds, is an error.
/// `headers`, `http_agent`, `username`/`password` (sent as basic auth at once), `force` (no cache) and
/// `follow_redirects` (redirects are followed) work; options that need Python's urllib machinery
/// (`validate_certs=false`, `ca_path`, `ciphers`, `unix_socket`, `use_gssapi`, `use_netrc`) are refused.
enum URLLookup {
    static let all: [String: LookupBody] = [
        "url": { terms, options, _ in try url(terms, options) },
    ]

    static let defaults: OrderedDictionary<String, Value> = [
        "validate_certs": true, "use_proxy": true, "username": .null, "password": .null, "headers": [:], "force": false,
        "timeout": 10, "http_agent": "ansible-httpget", "force_basic_auth": false, "follow_redirects": "urllib2",
        "use_gssapi": false, "unix_socket": .null, "ca_path": .null, "unredirected_headers": [], "ciphers": .null,
        "use_netrc": true, "split_lines": true,
    ]

    static func url(_ terms: [Value], _ given: OrderedDictionary<String, Value>) throws -> [Value] {
        let options = try LookupOptions("url", defaults: defaults, given: given)
        if try !options.bool("validate_certs") { throw refused("validate_certs=false") }
        for option in ["unix_socket", "ca_path", "ciphers"] where !options[option].isNull { throw refused(option) }
        if try options.bool("use_gssapi") { throw refused("use_gssapi") }
        guard case .dict(let headers) = options["headers"] else {
            throw KeelError("lookup 'url': headers must be a mapping", found: options["headers"].typeName)
        }
        let timeout = Double(try options.int("timeout"))
        var result: [Value] = []
        for term in terms {
            let text = try term.lookupTerm("url")
            guard let address = URL(string: text), address.scheme == "http" || address.scheme == "https" else {
                throw KeelError("Failed lookup url for \(text)", expected: "an http or https URL", found: text)
            }
            var request = URLRequest(url: address, timeoutInterval: timeout)
            request.setValue(options.string("http_agent") ?? "ansible-httpget", forHTTPHeaderField: "User-Agent")
            if try options.bool("force") { request.cachePolicy = .reloadIgnoringLocalCacheData }
            if let user = options.string("username") {
                let credentials = Data("\(user):\(options.string("password") ?? "")".utf8).base64EncodedString()
                request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
            }
            for (name, value) in headers { request.setValue(value.stringValue ?? value.jsonString(), forHTTPHeaderField: name) }
            let (status, body) = try fetch(request, shown: text)
            guard status < 400 else {
                throw KeelError("Received HTTP error for \(text)", expected: "a status below 400", found: "HTTP \(status)")
            }
            let content = String(decoding: body, as: UTF8.self)
            if try options.bool("split_lines") {
                result += PythonLines.split(content).map(Value.string)
            } else {
                result.append(.string(content))
            }
        }
        return result
    }

    /// A synchronous GET: templates render synchronously, so the calling thread waits for URLSession's
    /// completion handler, which runs on the session's own queue (never on the thread that waits).
    static func fetch(_ request: URLRequest, shown: String) throws -> (Int, Data) {
        let done = DispatchSemaphore(value: 0)
        let outcome = LockedOutcome()
        let task = session.dataTask(with: request) { data, response, error in
            outcome.set(data: data, status: (response as? HTTPURLResponse)?.statusCode, error: error)
            done.signal()
        }
        task.resume()
        done.wait()
        let (data, status, error) = outcome.get()
        if let error { throw KeelError("Failed lookup url for \(shown)", found: error.localizedDescription) }
        guard let status else { throw KeelError("Failed lookup url for \(shown)", found: "no HTTP response") }
        return (status, data ?? Data())
    }

    static func refused(_ option: String) -> KeelError {
        KeelError("lookup 'url': \(option) is not supported by Keel", expected: "the default for \(option)", found: option)
    }

    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        return URLSession(configuration: configuration)
    }()

    /// What the completion handler hands the waiting thread.
    private final class LockedOutcome: @unchecked Sendable {
        private let lock = NSLock()
        private var data: Data?, status: Int?, error: (any Error)?
        func set(data: Data?, status: Int?, error: (any Error)?) { lock.withLock { (self.data, self.status, self.error) = (data, status, error) } }
        func get() -> (Data?, Int?, (any Error)?) { lock.withLock { (data, status, error) } }
    }
}
