import CLibSSH2
import Foundation

/// Tries ssh's authentication methods in ssh's order: agent keys, identity files, then password.
/// Key files may be ed25519, ECDSA or RSA. libssh2 before 1.11 (Debian 12 ships 1.10) signs RSA user keys
/// only with ssh-rsa (SHA-1), which OpenSSH 8.8 and later refuse by default, so a refused RSA key gets an
/// error that says so instead of a bare "authentication failed".
struct SSHAuthenticator {
    let core: SSHSessionCore

    private var session: OpaquePointer? { core.session }
    private var target: SSHTarget { core.target }

    func authenticate() throws {
        let user = target.user
        let files = (target.identityFiles.isEmpty ? SSHTarget.defaultIdentityFiles : target.identityFiles)
            .filter { FileManager.default.isReadableFile(atPath: $0) }
        let agentFirst = target.useAgent && !target.identitiesOnly && ProcessInfo.processInfo.environment["SSH_AUTH_SOCK"] != nil
        var tried: [String] = []
        // Without an agent to try first, the first key file is what ssh would offer first anyway: offering it
        // before asking the server for its methods saves a round trip on every connection (100 ms on a far
        // host). The methods are asked only when it is refused, for the other methods and the error message.
        var triedFiles: Set<String> = []
        if !agentFirst, let first = files.first {
            if try authenticateWithKeyFile(user: user, path: first) { return }
            triedFiles.insert(first)
            tried.append(Self.describe(keyFile: first))
        }
        let offered = try serverMethods(user: user)
        if libssh2_userauth_authenticated(session) == 1 { return }   // "none" was accepted

        if offered.contains("publickey") {
            if agentFirst {
                tried.append("agent")
                if try authenticateWithAgent(user: user) { return }
            }
            for file in files where !triedFiles.contains(file) {
                if try authenticateWithKeyFile(user: user, path: file) { return }
                tried.append(Self.describe(keyFile: file))
            }
        }
        if let password = target.password, offered.contains("password") {
            tried.append("password")
            let rc = try core.retry("password authentication") {
                libssh2_userauth_password_ex(session, user, UInt32(user.utf8.count), password,
                                             UInt32(password.utf8.count), nil)
            }
            if rc == 0 { return }
        }
        throw TransportError.authenticationFailed(host: core.host, user: user, methods: tried, serverAccepts: offered)
    }

    static let rsaHint = " [an RSA key: libssh2 \(String(cString: libssh2_version(0))) signs it with ssh-rsa (SHA-1), "
        + "which OpenSSH 8.8+ refuses unless the server sets PubkeyAcceptedAlgorithms +ssh-rsa; use an ed25519 or ECDSA key]"

    static func describe(keyFile: String) -> String {
        "publickey \(keyFile)" + (isRSAKey(keyFile) && !signsRSAWithSHA2 ? rsaHint : "")
    }

    /// rsa-sha2-256/512 user authentication arrived in libssh2 1.11.
    static var signsRSAWithSHA2: Bool {
        let parts = String(cString: libssh2_version(0)).split(separator: ".").compactMap { Int($0) }
        return parts.count >= 2 && (parts[0], parts[1]) >= (1, 11)
    }

    /// Whether a key file holds an RSA key: its .pub says ssh-rsa, it is a PEM RSA key, or an OpenSSH-format
    /// key whose (unencrypted) public part names ssh-rsa.
    static func isRSAKey(_ path: String) -> Bool {
        if let pub = try? String(contentsOfFile: path + ".pub", encoding: .utf8) { return pub.hasPrefix("ssh-rsa ") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return false }
        if text.contains("BEGIN RSA PRIVATE KEY") { return true }
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
        guard let data = Data(base64Encoded: body) else { return false }
        return data.range(of: Data("ssh-rsa".utf8)) != nil
    }

    private func serverMethods(user: String) throws -> [String] {
        var list: UnsafeMutablePointer<CChar>?
        while true {
            list = libssh2_userauth_list(session, user, UInt32(user.utf8.count))
            if list != nil || libssh2_userauth_authenticated(session) == 1 { break }
            guard libssh2_session_last_errno(session) == LibSSH2.eagain else {
                throw core.lost("asking the server for authentication methods")
            }
            try core.waitForSocket("authentication")
        }
        return list.map { String(cString: $0).split(separator: ",").map(String.init) } ?? []
    }

    private func authenticateWithKeyFile(user: String, path: String) throws -> Bool {
        let publicPath = path + ".pub"
        let hasPublic = FileManager.default.isReadableFile(atPath: publicPath)
        let rc = try core.retry("public key authentication") {
            libssh2_userauth_publickey_fromfile_ex(session, user, UInt32(user.utf8.count),
                                                   hasPublic ? publicPath : nil, path, nil)
        }
        return rc == 0
    }

    private func authenticateWithAgent(user: String) throws -> Bool {
        guard let agent = libssh2_agent_init(session) else { return false }
        defer { libssh2_agent_disconnect(agent); libssh2_agent_free(agent) }
        // The agent socket is local and fast; libssh2 talks to it blocking regardless of session mode.
        guard libssh2_agent_connect(agent) == 0, libssh2_agent_list_identities(agent) == 0 else { return false }
        var previous: UnsafeMutablePointer<libssh2_agent_publickey>?
        var identity: UnsafeMutablePointer<libssh2_agent_publickey>?
        while libssh2_agent_get_identity(agent, &identity, previous) == 0 {
            let rc = try core.retry("agent authentication") { libssh2_agent_userauth(agent, user, identity) }
            if rc == 0 { return true }
            previous = identity
        }
        return false
    }
}
