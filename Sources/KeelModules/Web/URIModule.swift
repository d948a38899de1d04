import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `uri`: an HTTP request made from the host with curl or GNU wget (ansible.builtin.uri), with Ansible's
/// result: status, url, redirected, msg, the response headers as lowercase fields (`content_type`),
/// cookies, `content` with return_content and `json` when the answer is JSON. Like Ansible 2.19 it
/// reports a change only when `dest` was written, and does not run in check mode.
public struct URIModule: Module {
    public static let name = "uri"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["body", "src"]]).acceptingSecurityContextOptions()
    public static let supportsCheckMode = false
    public static let documentation = ModuleDocumentation(
        summary: "Make an HTTP request from the host (curl or GNU wget) and return Ansible's result",
        description: """
            Sends METHOD to url from the target host and fails unless the status is in status_code. The result has \
            status (-1 when no answer came), url (after redirects), redirected, msg ("OK (N bytes)" or "HTTP Error \
            404: Not Found"), elapsed, every response header in lowercase with - turned into _ (content_type, \
            content_length, location resolved against the url), cookies and cookies_string, content with \
            return_content, and json when the answer's type is JSON. With dest the body is \
            saved there, replaced only when different. Like Ansible 2.19, the task is changed only when dest was \
            written, and it is skipped in check mode. Needs curl or GNU wget on the host.
            """,
        examples: """
            - uri:
                url: http://127.0.0.1:8080/health
                return_content: true
              register: health
              until: health.status == 200
              retries: 10
              delay: 2
            - uri:
                url: https://api.example.com/v1/items
                method: POST
                body_format: json
                body: {name: web1}
                status_code: [200, 201]
                headers: {Authorization: "Bearer {{ token }}"}
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "The request leaves from the host through curl (else GNU wget), not Python's urllib: TLS, proxies (environment variables) and the messages of a failed connection are those of the tool.",
            "With dest, the task is changed only when the saved bytes or the file's attributes changed (Ansible reports a change on every 200 that writes dest).",
            "Without force_basic_auth, credentials are sent after a challenge (curl --anyauth, wget's default), as Ansible does for Basic; Digest and NTLM are whatever the tool negotiates.",
            "unix_socket, ca_path, client_cert, client_key, ciphers, use_gssapi and form-multipart bodies are not supported.",
        ])

    public enum BodyFormat: String, OptionChoice { case raw, json, formUrlencoded = "form-urlencoded" }
    public enum FollowRedirects: String, OptionChoice { case safe, all, none, no, yes, urllib2 }

    public struct Arguments: ModuleArguments {
        @Option("url", .string, required: true, help: "HTTP or HTTPS URL, requested from the host.") var url: String
        @Option("method", .string, default: "GET", help: "The HTTP method, one uppercase word (GET, POST, PUT, DELETE, HEAD, ...).") var method: String
        @Option("body", .raw, help: "The request body: text as is, or data encoded as body_format says.") var body: Value?
        @Option("src", .path, help: "A file sent as the body: on the controller (role files/, the playbook's directory), or on the host with remote_src.") var src: String?
        @Option("remote_src", .bool, default: false, help: "src is a path on the host.") var remote_src: Bool
        @Option("body_format", choices: BodyFormat.self, default: .raw, help: "raw sends body as given; json encodes it (and sets Content-Type: application/json); form-urlencoded encodes a mapping or a list of pairs.") var body_format: BodyFormat
        @Option("headers", .dict, default: .dict([:]), help: "Request headers.") var headers: Value
        @Option("status_code", .list(.int), default: [200], help: "Statuses that mean success; any other fails the task.") var status_code: [Int]
        @Option("return_content", .bool, default: false, help: "Return the body as `content` (JSON answers are always parsed into `json`).") var return_content: Bool
        @Option("dest", .path, help: "Save the body to this host path (a directory: the file name comes from the answer or the URL).") var dest: String?
        @Option("creates", .path, help: "Skip the request when this host path exists.") var creates: String?
        @Option("removes", .path, help: "Skip the request unless this host path exists.") var removes: String?
        @Option("timeout", .int, default: 30, help: "Seconds the request may take.") var timeout: Int
        @Option("validate_certs", .bool, default: true, help: "Check the server's TLS certificate.") var validate_certs: Bool
        @Option("url_username", .string, aliases: ["user"], help: "User name for HTTP authentication.") var url_username: String?
        @Option("url_password", .string, aliases: ["password"], noLog: true, help: "Password for HTTP authentication.") var url_password: String?
        @Option("force_basic_auth", .bool, default: false, help: "Send Basic credentials with the first request instead of after a 401 challenge.") var force_basic_auth: Bool
        @Option("follow_redirects", choices: FollowRedirects.self, default: .safe, help: "safe follows redirects of GET and HEAD only; all follows any; none (no) follows none.") var follow_redirects: FollowRedirects
        @Option("force", .bool, default: false, help: "Ask caches for a fresh answer (Cache-Control: no-cache).") var force: Bool
        @Option("http_agent", .string, default: "ansible-httpget", help: "The User-Agent header.") var http_agent: String
        @Option("use_proxy", .bool, default: true, help: "Accepted; the tool on the host uses the proxy its environment names.") var use_proxy: Bool
        @Option("decompress", .bool, default: true, help: "Accepted; Keel asks for no compression, so answers arrive as they are.") var decompress: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    /// Whether creates/removes tell to skip the request.
    public struct State: Sendable, Equatable {
        var skip: String?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        public var request: HostHTTPRequest
        public var statusCodes: [Int]
        public var returnContent: Bool
        public var dest: String?
        public var mode: String?
        public var owner: String?
        public var group: String?
        public var description: String { request.description + (dest.map { ", saved to \($0)" } ?? "") }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard a.creates != nil || a.removes != nil else { return State() }
        var script: [String] = []
        if let creates = a.creates { script.append("[ -e \(ShellQuote.quote(creates)) ] && echo creates") }
        if let removes = a.removes { script.append("[ -e \(ShellQuote.quote(removes)) ] || echo removes") }
        let out = try await host.run(script.joined(separator: "\n") + "\ntrue").stdoutText
        if out.contains("creates"), let creates = a.creates { return State(skip: "skipped, since \(creates) exists") }
        if out.contains("removes"), let removes = a.removes { return State(skip: "skipped, since \(removes) does not exist") }
        return State()
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        if let skip = observed.skip { return .unchanged(values: ["stdout": .string(skip)]) }
        let method = a.method.uppercased()
        guard method.range(of: "^[A-Z]+$", options: .regularExpression) != nil else {
            throw KeelError("Parameter 'method' needs to be a single word in uppercase, like GET or POST.", found: a.method)
        }
        var headers: [[String]] = (a.headers.dictValue ?? [:]).map { [$0.key, Self.headerText($0.value)] }
        let hasContentType = headers.contains { $0[0].lowercased() == "content-type" }
        var body: Data?
        switch a.body_format {
        case .json:
            if let value = a.body { body = Data((value.stringValue ?? PythonJSONBody.dumps(value)).utf8) }
            if !hasContentType { headers.append(["Content-Type", "application/json"]) }
        case .formUrlencoded:
            if let value = a.body { body = Data(try FormURLEncoding.encode(value).utf8) }
            if !hasContentType { headers.append(["Content-Type", "application/x-www-form-urlencoded"]) }
        case .raw:
            if let value = a.body, !value.isNull { body = Data((value.stringValue ?? value.jsonString()).utf8) }
        }
        var bodyFile: String?
        if let src = a.src {
            if a.remote_src {
                bodyFile = src
            } else {
                guard let path = host.files.find(src, kind: "files"), let data = FileManager.default.contents(atPath: path) else {
                    throw KeelError("Unable to open source file \(src)", expected: "a file on the controller (role files/, the playbook's directory)")
                }
                body = data
            }
        }
        let redirects: HostHTTPRequest.Redirects = switch a.follow_redirects {
        case .safe: .safe
        case .all, .yes, .urllib2: .all
        case .none, .no: .none
        }
        var request = HostHTTPRequest(url: a.url, method: method, headers: headers, body: body, timeout: a.timeout,
                                      validateCerts: a.validate_certs, username: a.url_username, password: a.url_password,
                                      forceBasicAuth: a.force_basic_auth, redirects: redirects,
                                      ifModifiedSinceFile: a.dest, noCache: a.force, userAgent: a.http_agent, keepBody: a.dest != nil)
        request.bodyFile = bodyFile
        let step = Step(request: request, statusCodes: a.status_code, returnContent: a.return_content, dest: a.dest,
                        mode: DownloadInstall.chmodArgument(a.mode), owner: a.owner, group: a.group)
        return Plan(steps: [step])
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        guard let step = plan.steps.first else { return .unchanged() }
        let started = Date()
        let exchange = try await HostHTTPExchange.perform(step.request, on: host)
        var values = exchange.values(requestURL: step.request.url)
        values["elapsed"] = .int(Int(Date().timeIntervalSince(started)))
        var changed = false
        let accepted = step.statusCodes.contains(exchange.response.status)
        if let dest = step.dest, let kept = exchange.response.keptDirectory {
            if accepted && exchange.response.status != 304 {
                let target = try await HostHTTPExchange.fileDestination(dest, response: exchange.response, on: host)
                let outcome = try await DownloadInstall(keptDirectory: kept, destination: target, mode: step.mode, owner: step.owner,
                                                        group: step.group).perform(on: host)
                changed = outcome.changed
                values["path"] = .string(target)
            } else {
                _ = try? await host.run("rm -rf -- \(ShellQuote.quote(kept))")
                values["path"] = .string(dest)
            }
        }
        let content = exchange.response.body.map { Self.text($0, contentType: exchange.response.last?.header("content-type")) }
        if let content, exchange.isJSON, let json = try? Value.parseJSON(content) { values["json"] = json }
        guard accepted else {
            let message = "Status code was \(exchange.response.status) and not \(Self.pythonList(step.statusCodes)): \(values["msg"]?.stringValue ?? "")"
            values["msg"] = nil
            if step.returnContent { values["content"] = content.map(Value.string) ?? "" }
            throw ModuleFailure(message: message, values: values, changed: changed)
        }
        if step.returnContent { values["content"] = content.map(Value.string) ?? .null }
        return Applied(changed: changed, values: values)
    }

    /// A header value as text: strings as they are, numbers and booleans as Python's str() writes them.
    static func headerText(_ value: Value) -> String {
        switch value {
        case .string(let s): return s
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        default: return value.jsonString()
        }
    }

    /// The body as text in the answer's charset (UTF-8 unless the Content-Type names another).
    static func text(_ data: Data, contentType: String?) -> String {
        if let charset = contentType?.lowercased().components(separatedBy: "charset=").dropFirst().first?
            .split(separator: ";").first?.trimmingCharacters(in: CharacterSet(charactersIn: " \"'")),
           charset == "iso-8859-1" || charset == "latin-1" || charset == "latin1" {
            return String(data: data, encoding: .isoLatin1) ?? String(decoding: data, as: UTF8.self)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `[200, 201]`, as Python prints a list of ints in the failure message.
    static func pythonList(_ codes: [Int]) -> String { "[" + codes.map(String.init).joined(separator: ", ") + "]" }
}
