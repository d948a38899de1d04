import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `get_url`: downloads a file from the host with curl or GNU wget (ansible.builtin.get_url). An existing
/// file is kept when it has the expected checksum, or, without a checksum, unless `force` says to fetch it
/// again; a download is verified against the checksum, then replaces the file atomically only when the
/// bytes differ.
public struct GetURLModule: Module {
    public static let name = "get_url"
    public static let spec = ArgumentSpec(Arguments.self).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Download a file over HTTP(S) from the host (curl or GNU wget), idempotently",
        description: """
            dest may be a file or a directory (the name then comes from Content-Disposition or the URL). checksum \
            is ALGORITHM:HEX (md5, sha1, sha224, sha256, sha384, sha512) or ALGORITHM:URL of a checksum file listing \
            the download's name. An existing dest file with that checksum is not downloaded again; without a \
            checksum an existing file is kept unless force is true. The result has dest, url, checksum_src and \
            checksum_dest (SHA-1), md5sum, status_code, msg, elapsed, and mode/owner/group/size of the file. Needs \
            curl or GNU wget on the host.
            """,
        examples: """
            - get_url:
                url: https://example.com/tool-1.2.tar.gz
                dest: /opt/tool-1.2.tar.gz
                checksum: sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
                mode: "0644"
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "Without checksum and force, an existing dest file is never fetched again (Ansible's documented behaviour; its code sends If-Modified-Since and may replace the file).",
            "In check mode no request is made: a download is predicted whenever one would be attempted (Ansible sends a HEAD request and also predicts a change).",
            "tmp_dest, unredirected_headers, client_cert/client_key, ciphers and use_gssapi are not supported; proxies come from the host's environment.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("url", .string, required: true, help: "HTTP or HTTPS URL, fetched from the host.") var url: String
        @Option("dest", .path, required: true, help: "The file to write, or a directory to write it into.") var dest: String
        @Option("checksum", .string, default: "", help: "ALGORITHM:HEX, or ALGORITHM:URL of a checksum file; the download must match it, and an existing file that matches is kept.") var checksum: String
        @Option("force", .bool, default: false, help: "Download even when dest exists (it is replaced only if the content differs).") var force: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of a file that gets replaced.") var backup: Bool
        @Option("headers", .dict, help: "Request headers.") var headers: Value?
        @Option("timeout", .int, default: 10, help: "Seconds the request may take.") var timeout: Int
        @Option("validate_certs", .bool, default: true, help: "Check the server's TLS certificate.") var validate_certs: Bool
        @Option("url_username", .string, aliases: ["username"], help: "User name for HTTP authentication.") var url_username: String?
        @Option("url_password", .string, aliases: ["password"], noLog: true, help: "Password for HTTP authentication.") var url_password: String?
        @Option("force_basic_auth", .bool, default: false, help: "Send Basic credentials with the first request.") var force_basic_auth: Bool
        @Option("http_agent", .string, default: "ansible-httpget", help: "The User-Agent header.") var http_agent: String
        @Option("use_proxy", .bool, default: true, help: "Accepted; the tool on the host uses the proxy its environment names.") var use_proxy: Bool
        @Option("decompress", .bool, default: true, help: "Accepted.") var decompress: Bool
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public struct State: Sendable, Equatable {
        var dest: RemotePath
        /// The existing file's digest in the checksum's algorithm.
        var digest: String?
        /// The expected digest (from the argument, or looked up in the checksum file at a URL).
        var expected: [String]?
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case download(Download)
        case attributes(path: String, [AttributeChange])

        public var description: String {
            switch self {
            case .download(let d): return "download \(HostHTTPRequest.masked(d.request.url)) to \(d.dest)"
            case .attributes(let path, let changes): return "set \(changes.map(\.diffLine).joined(separator: ", ")) on \(path)"
            }
        }
    }

    public struct Download: Sendable, Codable, Equatable {
        var request: HostHTTPRequest
        var dest: String
        var checksum: [String]?
        var mode: String?
        var owner: String?
        var group: String?
        var backup: Bool
    }

    static let algorithms = ["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]

    public init() {}

    func request(_ a: Arguments, url: String, keepBody: Bool) -> HostHTTPRequest {
        HostHTTPRequest(url: url, headers: (a.headers?.dictValue ?? [:]).map { [$0.key, URIModule.headerText($0.value)] },
                        timeout: a.timeout, validateCerts: a.validate_certs, username: a.url_username, password: a.url_password,
                        forceBasicAuth: a.force_basic_auth, redirects: .all, noCache: a.force, userAgent: a.http_agent, keepBody: keepBody)
    }

    /// ("sha256", "hex or URL"), nil without a checksum.
    static func checksumArgument(_ text: String) throws -> (algorithm: String, value: String)? {
        guard !text.isEmpty else { return nil }
        guard let colon = text.firstIndex(of: ":") else {
            throw KeelError("The checksum parameter has to be in format <algorithm>:<checksum>", found: text)
        }
        let algorithm = text[..<colon].lowercased()
        guard algorithms.contains(algorithm) else {
            throw KeelError("unsupported checksum algorithm", expected: algorithms.joined(separator: ", "), found: algorithm)
        }
        return (algorithm, String(text[text.index(after: colon)...]))
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let dest = try await RemotePath.observe(a.dest, on: host)
        guard let checksum = try Self.checksumArgument(a.checksum) else { return State(dest: dest) }
        var expected = checksum.value
        if expected.contains("://") {
            // Reading the checksum file is a read: check mode makes it too, as Ansible does.
            let exchange = try await HostHTTPExchange.perform(request(a, url: expected, keepBody: false), on: host)
            guard exchange.response.status == 200, let body = exchange.response.body else {
                throw KeelError("cannot fetch the checksum file \(HostHTTPRequest.masked(expected)): \(exchange.response.ansibleInfo(requestURL: expected)["msg"]?.stringValue ?? "")")
            }
            let name = Self.urlFileName(a.url)
            guard let found = Self.digest(for: name, in: String(decoding: body, as: UTF8.self)) else {
                throw KeelError("Unable to find a checksum for file '\(name)' in '\(HostHTTPRequest.masked(expected))'")
            }
            expected = found
        }
        expected = expected.replacingOccurrences(of: "[^A-Za-z0-9_]+", with: "", options: .regularExpression).lowercased()
        guard !expected.isEmpty, expected.allSatisfy(\.isHexDigit) else { throw KeelError("The checksum format is invalid", found: checksum.value) }
        var digest: String?
        if dest.kind == .file || dest.kind == .link {
            let out = try await host.run("[ -f \(ShellQuote.quote(a.dest)) ] && \(checksum.algorithm)sum < \(ShellQuote.quote(a.dest))").stdoutText
            digest = out.split(separator: " ").first.map(String.init)
        }
        return State(dest: dest, digest: digest, expected: [checksum.algorithm, expected])
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["dest": .string(a.dest), "url": .string(HostHTTPRequest.masked(a.url))]
        let existingFile = observed.dest.kind == .file || (observed.dest.kind == .link && observed.digest != nil)
        let matches = observed.expected != nil && observed.digest == observed.expected?[1]
        if existingFile && !a.force && (observed.expected == nil || matches) {
            let attributes = FileAttributes(mode: a.mode, owner: a.owner, group: a.group)
            let changes = attributes.changes(for: observed.dest)
            var kept = values
            kept["msg"] = changes.isEmpty ? "file already exists" : "file already exists but file attributes changed"
            return Plan(steps: changes.isEmpty ? [] : [.attributes(path: a.dest, changes)], values: kept)
        }
        let download = Download(request: request(a, url: a.url, keepBody: true), dest: a.dest, checksum: observed.expected,
                                mode: DownloadInstall.chmodArgument(a.mode), owner: a.owner, group: a.group, backup: a.backup)
        return Plan(steps: [.download(download)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var changed = false
        var values: OrderedDictionary<String, Value> = [:]
        for step in plan.steps {
            switch step {
            case .attributes(let path, let changes):
                try await host.runChecked(changes.map { $0.command(for: path) }.joined(separator: " && "), failure: "cannot set the attributes of \(path)")
                changed = true
            case .download(let d):
                let started = Date()
                let exchange = try await HostHTTPExchange.perform(d.request, on: host)
                let info = exchange.response.ansibleInfo(requestURL: d.request.url)
                values["elapsed"] = .int(Int(Date().timeIntervalSince(started)))
                guard exchange.response.status == 200, let kept = exchange.response.keptDirectory else {
                    if let kept = exchange.response.keptDirectory { _ = try? await host.run("rm -rf -- \(ShellQuote.quote(kept))") }
                    if exchange.response.status == -1 { throw ModuleFailure(message: info["msg"]?.stringValue ?? "Request failed", values: values, changed: false) }
                    values["status_code"] = .int(exchange.response.status)
                    values["response"] = info["msg"] ?? ""
                    throw ModuleFailure(message: "Request failed", values: values, changed: false)
                }
                let target = try await HostHTTPExchange.fileDestination(d.dest, response: exchange.response, on: host,
                                                                       fallback: Self.urlFileName(exchange.response.finalURL))
                let outcome = try await DownloadInstall(keptDirectory: kept, destination: target, checksum: d.checksum, mode: d.mode,
                                                        owner: d.owner, group: d.group, backup: d.backup).perform(on: host)
                changed = outcome.changed
                values["dest"] = .string(target)
                values["checksum_src"] = outcome.fields["checksum_src"].map(Value.string) ?? .null
                values["checksum_dest"] = outcome.fields["checksum_dest"].map(Value.string) ?? .null
                values["md5sum"] = outcome.fields["md5sum"].map(Value.string) ?? .null
                if let backup = outcome.fields["backup_file"] { values["backup_file"] = .string(backup) }
                values["msg"] = info["msg"] ?? ""
                values["status_code"] = .int(exchange.response.status)
                values.merge(DownloadInstall.pathInfo(outcome.fields)) { _, new in new }
            }
        }
        return Applied(changed: changed, values: values)
    }

    /// Ansible's url_filename: the URL path's last segment, or index.html.
    static func urlFileName(_ url: String) -> String {
        let path = URLComponents(string: url)?.path ?? ""
        let last = path.split(separator: "/").last.map(String.init) ?? ""
        return last.isEmpty ? "index.html" : last
    }

    /// The digest for `name` in a checksum file (`HEX  name`, `HEX *name`, or a single bare digest).
    static func digest(for name: String, in text: String) -> String? {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
        if lines.count == 1, !lines[0].contains(" ") { return lines[0] }
        for line in lines {
            let parts = line.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" })
            guard parts.count == 2 else { continue }
            var file = parts[1].trimmingCharacters(in: .whitespaces)
            if file.hasPrefix("*") { file.removeFirst() }
            if file.hasPrefix("./") { file.removeFirst(2) }
            if file == name { return String(parts[0]) }
        }
        return nil
    }
}
