import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeelBase

/// A request a module sends from the controller (an ACME directory, a health URL).
public struct HTTPRequest: Sendable {
    public var method: String
    public var url: URL
    public var headers: [String: String]
    public var body: Data?
    /// Seconds without progress before the request fails.
    public var timeout: TimeInterval

    public init(_ method: String = "GET", _ url: URL, headers: [String: String] = [:], body: Data? = nil, timeout: TimeInterval = 30) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    /// Header names in lower case (HTTP's names are case-insensitive).
    public var headers: [String: String]
    public var body: Data

    public init(status: Int, headers: [String: String], body: Data) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public var text: String { String(decoding: body, as: UTF8.self) }
}

/// The controller's HTTP client: Foundation's URLSession, async, with a timeout on every request, no
/// cookies or cache kept between requests (each module decides what it keeps, in the run's state store).
/// A non-2xx status is a response, not an error: the module decides (ACME answers 400 with a problem).
public final class HTTPClient: Sendable {
    /// One session for the process: sessions are costly to make and this one keeps no state of note.
    private static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: configuration)
    }()

    public let userAgent: String

    public init(userAgent: String = "keel") {
        self.userAgent = userAgent
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var urlRequest = URLRequest(url: request.url, timeoutInterval: request.timeout)
        urlRequest.httpMethod = request.method
        urlRequest.httpBody = request.body
        urlRequest.setValue(userAgent, forHTTPHeaderField: "User-Agent")
        for (name, value) in request.headers { urlRequest.setValue(value, forHTTPHeaderField: name) }
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await Self.perform(urlRequest, timeout: request.timeout)
        } catch let error as URLError where error.code == .timedOut || error.code == .cancelled {
            throw KeelError("\(request.method) \(request.url.absoluteString) got no answer within \(Self.seconds(request.timeout))",
                            expected: "a response", found: "a timeout")
        } catch {
            throw KeelError("\(request.method) \(request.url.absoluteString) failed: \(error.localizedDescription)")
        }
        guard let http = response as? HTTPURLResponse else {
            throw KeelError("\(request.method) \(request.url.absoluteString) did not get an HTTP response")
        }
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String { headers[name.lowercased()] = value }
        }
        return HTTPResponse(status: http.statusCode, headers: headers, body: data)
    }

    /// Runs the request with a deadline of its own: URLSession on Linux does not always honour a request's
    /// timeoutInterval (a silent server held a 1 s request for 60 s), so the task is cancelled at the deadline.
    private static func perform(_ request: URLRequest, timeout: TimeInterval) async throws -> (Data, URLResponse) {
        let holder = TaskHolder()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                let task = session.dataTask(with: request) { data, response, error in
                    if let data, let response { continuation.resume(returning: (data, response)) }
                    else { continuation.resume(throwing: error ?? URLError(.badServerResponse)) }
                }
                holder.task = task
                task.resume()
                DispatchQueue.global().asyncAfter(deadline: .now() + timeout) { [weak task] in task?.cancel() }
            }
        } onCancel: {
            holder.task?.cancel()
        }
    }

    /// The running URLSession task, for cancellation from another thread.
    private final class TaskHolder: @unchecked Sendable {
        private let lock = NSLock()
        private var _task: URLSessionDataTask?
        var task: URLSessionDataTask? {
            get { lock.withLock { _task } }
            set { lock.withLock { _task = newValue } }
        }
    }

    /// GET `url`.
    public func get(_ url: URL, headers: [String: String] = [:], timeout: TimeInterval = 30) async throws -> HTTPResponse {
        try await send(HTTPRequest("GET", url, headers: headers, timeout: timeout))
    }

    static func seconds(_ interval: TimeInterval) -> String {
        interval == interval.rounded() ? "\(Int(interval)) s" : "\(interval) s"
    }
}
