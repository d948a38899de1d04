import Foundation
import KeelBase
import KeelTransport

/// One HTTP request made *from the host* (uri, get_url: the request leaves from where Ansible's module
/// would run), with the tools a minimal host has: curl, else GNU wget. Secrets (headers, the password)
/// travel in a configuration file fed through stdin, never on a command line other users could read.
/// The response body stays in a temporary directory on the host when `keepBody` is set (a download that a
/// second script installs), otherwise it comes back with the headers.
public struct HostHTTPRequest: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Redirects: String, Sendable, Codable, Equatable {
        /// Follow none: a 3xx is the answer.
        case none
        /// Follow for GET and HEAD only (Ansible's `safe`, its default).
        case safe
        /// Follow whatever the method.
        case all
    }

    public var url: String
    public var method: String
    /// In order, as given (names as written; a header listed twice is sent twice).
    public var headers: [[String]]
    public var body: Data?
    /// A file on the host sent as the body (uri's `src` with `remote_src`), instead of `body`.
    public var bodyFile: String?
    public var timeout: Int
    public var validateCerts: Bool
    public var username: String?
    public var password: String?
    /// Send the credentials with the first request (Ansible waits for a 401 challenge otherwise).
    public var forceBasicAuth: Bool
    public var redirects: Redirects
    /// Send `If-Modified-Since` with this host file's mtime when it exists (Ansible does for an existing dest).
    public var ifModifiedSinceFile: String?
    /// Ask caches for a fresh copy (`force: true`: Cache-Control: no-cache).
    public var noCache: Bool
    public var userAgent: String
    /// Keep the body on the host (in the temporary directory whose path the output gives) instead of returning it.
    public var keepBody: Bool

    public init(url: String, method: String = "GET", headers: [[String]] = [], body: Data? = nil, timeout: Int = 30,
                validateCerts: Bool = true, username: String? = nil, password: String? = nil, forceBasicAuth: Bool = false,
                redirects: Redirects = .safe, ifModifiedSinceFile: String? = nil, noCache: Bool = false,
                userAgent: String = "ansible-httpget", keepBody: Bool = false) {
        self.url = url
        self.method = method
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.validateCerts = validateCerts
        self.username = username
        self.password = password
        self.forceBasicAuth = forceBasicAuth
        self.redirects = redirects
        self.ifModifiedSinceFile = ifModifiedSinceFile
        self.noCache = noCache
        self.userAgent = userAgent
        self.keepBody = keepBody
    }

    public var description: String { "\(method) \(HostHTTPRequest.masked(url)) from the host" }

    /// Exit status of the script when the host has neither curl nor GNU wget.
    static let noClientStatus: Int32 = 69

    /// Whether redirects are followed for this method.
    var followsRedirects: Bool {
        switch redirects {
        case .none: return false
        case .all: return true
        case .safe: return method == "GET" || method == "HEAD"
        }
    }

    /// Credentials as a Basic header, sent up front (see `forceBasicAuth`).
    var basicAuthorization: String? {
        guard let username, forceBasicAuth else { return nil }
        return "Basic " + Data("\(username):\(password ?? "")".utf8).base64EncodedString()
    }

    /// curl's configuration file (`-K`): one option per line, values double-quoted with backslash escapes.
    func curlConfig() -> String {
        func q(_ s: String) -> String {
            "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n").replacingOccurrences(of: "\r", with: "\\r")
                .replacingOccurrences(of: "\t", with: "\\t") + "\""
        }
        var lines = ["url = \(q(url))", "max-time = \(timeout)", "user-agent = \(q(userAgent))"]
        if method == "HEAD" { lines.append("head") } else if method != "GET" || body != nil || bodyFile != nil { lines.append("request = \(q(method))") }
        if followsRedirects { lines += ["location", "max-redirs = 10"] }
        if !validateCerts { lines.append("insecure") }
        if let basic = basicAuthorization { lines.append("header = \(q("Authorization: " + basic))") } else if let username {
            lines += ["user = \(q(username + ":" + (password ?? "")))", "anyauth"]
        }
        if noCache { lines.append("header = \(q("Cache-Control: no-cache"))") }
        for header in headers where header.count == 2 { lines.append("header = \(q(header[0] + ": " + header[1]))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// GNU wget's startup file (`--config`): `command = value` lines, no quoting (values are single-line).
    func wgetConfig() -> String {
        func v(_ s: String) -> String { s.replacingOccurrences(of: "\n", with: " ") }
        var lines = ["timeout = \(timeout)", "tries = 1", "user_agent = \(v(userAgent))", "max_redirect = \(followsRedirects ? 10 : 0)",
                     "content_on_error = on", "server_response = on", "verbose = off",
                     // A redirect is followed on a new connection: wget reuses the old one otherwise, which an HTTP/1.0
                     // server has closed, and with one try gives up ("No data received").
                     "http_keep_alive = off"]
        if !validateCerts { lines.append("check_certificate = off") }
        if let username {
            lines += ["http_user = \(v(username))", "http_password = \(v(password ?? ""))"]
            if forceBasicAuth { lines.append("auth_no_challenge = on") }
        }
        if noCache { lines.append("header = Cache-Control: no-cache") }
        for header in headers where header.count == 2 { lines.append("header = \(v(header[0])): \(v(header[1]))") }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The script: receives both configurations and the body on stdin, runs the client, then prints
    /// `KEEL-HTTP <tool> <exit> <header bytes> <message bytes> <body bytes or -1> <tmpdir or ->` and those bytes.
    public func script() -> String {
        let curl = Data(curlConfig().utf8), wget = Data(wgetConfig().utf8)
        let conditional = ifModifiedSinceFile.map { file in
            #"if [ -f \#(ShellQuote.quote(file)) ]; then ims="If-Modified-Since: $(LC_ALL=C date -u -r \#(ShellQuote.quote(file)) '+%a, %d %b %Y %H:%M:%S GMT')"; fi"#
        } ?? ":"
        let hasBody = body != nil || bodyFile != nil
        let bodyPath = bodyFile.map(ShellQuote.quote) ?? #""$t/body""#
        return """
            t=$(mktemp -d) || exit 70
            \(keepBody ? #"trap 'rm -rf -- "$t"' HUP INT TERM PIPE"# : #"trap 'rm -rf -- "$t"' EXIT"#)
            dd bs=1 count=\(curl.count) of="$t/curl" 2>/dev/null
            dd bs=1 count=\(wget.count) of="$t/wget" 2>/dev/null
            cat > "$t/body"
            \(bodyFile.map { "[ -r \(ShellQuote.quote($0)) ] || { printf 'Unable to open source file %s\\n' \(ShellQuote.quote($0)) >&2; exit 1; }" } ?? ":")
            ims=
            \(conditional)
            : > "$t/headers"; : > "$t/messages"; : > "$t/response"
            if command -v curl >/dev/null 2>&1; then
              tool=curl
              curl -sS -K "$t/curl" -D "$t/headers" -o "$t/response" \(hasBody ? "--data-binary @\(bodyPath)" : "") ${ims:+-H "$ims"} 2>"$t/messages"
              rc=$?
            elif command -v wget >/dev/null 2>&1 && wget --version 2>/dev/null | grep -q 'GNU Wget'; then
              tool=wget
              wget --config="$t/wget" -O "$t/response" --method=\(ShellQuote.quote(method)) \(hasBody ? "--body-file=\(bodyPath)" : "") \
                ${ims:+--header="$ims"} -- \(ShellQuote.quote(url)) 2>"$t/headers"
              rc=$?
            else
              echo "this host has neither curl nor GNU wget: install one of them (uri and get_url make their requests from the host)" >&2
              exit \(Self.noClientStatus)
            fi
            \(method == "HEAD" ? #": > "$t/response"   # curl --head writes the headers as the output too"# : ":")
            hl=$(wc -c < "$t/headers"); ml=$(wc -c < "$t/messages")
            \(keepBody ? #"bl=-1; keep=$t"# : #"bl=$(wc -c < "$t/response"); keep=-"#)
            printf 'KEEL-HTTP %s %s %s %s %s %s\\n' "$tool" "$rc" $((hl)) $((ml)) $((bl)) "$keep"
            cat "$t/headers" "$t/messages"
            \(keepBody ? ":" : #"cat "$t/response""#)
            """
    }

    /// What the script reads on stdin.
    public func stdin() -> Data {
        Data(curlConfig().utf8) + Data(wgetConfig().utf8) + (body ?? Data())
    }

    /// The URL with its password hidden, as Ansible's mask_url shows it.
    static func masked(_ url: String) -> String {
        guard var parts = URLComponents(string: url), parts.password != nil else { return url }
        parts.password = "********"
        return parts.string ?? url
    }
}
