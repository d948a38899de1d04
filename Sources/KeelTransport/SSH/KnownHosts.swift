import Crypto
import Foundation

/// A host key as the server sent it: the SSH wire blob and its algorithm name.
public struct HostKey: Sendable, Equatable {
    public var type: String        // "ssh-ed25519", "ecdsa-sha2-nistp256", "ssh-rsa"
    public var blob: Data

    public init(type: String, blob: Data) {
        self.type = type
        self.blob = blob
    }

    /// `SHA256:…` exactly as `ssh-keygen -lf` prints it (base64 without padding).
    public var fingerprint: String {
        let digest = Data(SHA256.hash(data: blob))
        return "SHA256:" + digest.base64EncodedString().replacingOccurrences(of: "=", with: "")
    }

    /// The line known_hosts stores after the host field.
    public var knownHostsText: String { "\(type) \(blob.base64EncodedString())" }
}

/// known_hosts files in OpenSSH's format: plain and hashed (`|1|salt|hash`) host fields, `[host]:port`,
/// wildcard and negated patterns, `@revoked` markers. Parsed here (not by libssh2) so errors can name
/// the offending file and line, and so the key types on record can steer key negotiation.
public struct KnownHosts: Sendable {
    public struct Entry: Sendable {
        public var file: String
        public var line: Int
        public var hostField: String
        public var key: HostKey
        public var revoked: Bool
    }

    public enum Verdict: Equatable, Sendable {
        case match
        case changed(recordedAt: String)   // "file:line" of the entry whose key differs
        case revoked(at: String)
        case unknown
    }

    public private(set) var entries: [Entry] = []
    public let files: [String]

    public init(files: [String]) {
        self.files = files
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                if let entry = KnownHosts.parse(line: String(raw), file: file, number: index + 1) { entries.append(entry) }
            }
        }
    }

    static func parse(line: String, file: String, number: Int) -> Entry? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        var fields = trimmed.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        var revoked = false
        if let marker = fields.first, marker.hasPrefix("@") {
            guard marker == "@revoked" else { return nil }   // @cert-authority: certificates are not supported
            revoked = true
            fields.removeFirst()
        }
        guard fields.count >= 3, let blob = Data(base64Encoded: fields[2]) else { return nil }
        return Entry(file: file, line: number, hostField: fields[0], key: HostKey(type: fields[1], blob: blob), revoked: revoked)
    }

    /// The name under which OpenSSH records a host: `addr`, or `[addr]:port` off port 22.
    public static func hostToken(_ host: String, port: Int) -> String {
        port == 22 ? host : "[\(host)]:\(port)"
    }

    /// The entries recorded for a host (any key type), revoked ones included.
    public func entries(forHost host: String, port: Int) -> [Entry] {
        let token = KnownHosts.hostToken(host, port: port)
        return entries.filter { KnownHosts.hostField($0.hostField, matches: token) }
    }

    /// Key algorithms on record for the host, most preferred first: negotiation should pick one of these.
    public func recordedKeyTypes(host: String, port: Int) -> [String] {
        var types: [String] = []
        for entry in entries(forHost: host, port: port) where !entry.revoked && !types.contains(entry.key.type) {
            types.append(entry.key.type)
        }
        return types
    }

    public func verify(_ key: HostKey, host: String, port: Int) -> Verdict {
        let matching = entries(forHost: host, port: port)
        if let revoked = matching.first(where: { $0.revoked && $0.key.blob == key.blob }) {
            return .revoked(at: "\(revoked.file):\(revoked.line)")
        }
        if matching.contains(where: { !$0.revoked && $0.key == key }) { return .match }
        if let other = matching.first(where: { !$0.revoked && $0.key.type == key.type }) {
            return .changed(recordedAt: "\(other.file):\(other.line)")
        }
        return .unknown
    }

    /// Appends a line for a newly trusted host (accept-new), creating the file (0600) if needed.
    public static func append(_ key: HostKey, host: String, port: Int, to file: String) throws {
        let line = "\(hostToken(host, port: port)) \(key.knownHostsText)\n"
        let url = URL(fileURLWithPath: file)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        if !FileManager.default.fileExists(atPath: file) {
            FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(line.utf8))
    }

    static func hostField(_ field: String, matches token: String) -> Bool {
        if field.hasPrefix("|1|") { return hashedField(field, matches: token) }
        var matched = false
        for pattern in field.split(separator: ",").map(String.init) {
            if pattern.hasPrefix("!") {
                if SSHConfig.glob(String(pattern.dropFirst()), token) { return false }
            } else if SSHConfig.glob(pattern, token) {
                matched = true
            }
        }
        return matched
    }

    /// `|1|base64(salt)|base64(HMAC-SHA1(salt, host))`, as written with HashKnownHosts (Debian's default).
    static func hashedField(_ field: String, matches token: String) -> Bool {
        let parts = field.split(separator: "|", omittingEmptySubsequences: true)
        guard parts.count == 3, let salt = Data(base64Encoded: String(parts[1])),
              let expected = Data(base64Encoded: String(parts[2])) else { return false }
        let mac = HMAC<Insecure.SHA1>.authenticationCode(for: Data(token.utf8), using: SymmetricKey(data: salt))
        return Data(mac) == expected
    }
}
