import CLibSSH2
import Foundation

/// Process-wide libssh2 initialisation (libssh2_init is not thread-safe, so it runs exactly once).
enum LibSSH2 {
    static let initialized: Bool = { libssh2_init(0) == 0 }()

    static let eagain = Int32(LIBSSH2_ERROR_EAGAIN)

    /// libssh2's last error text for a session.
    static func lastError(_ session: OpaquePointer?) -> (code: Int32, message: String) {
        guard let session else { return (0, "no session") }
        var message: UnsafeMutablePointer<CChar>?
        var length: Int32 = 0
        let code = libssh2_session_last_error(session, &message, &length, 0)
        let text = message.map { String(cString: $0) } ?? "unknown error"
        return (code, text)
    }

    /// The algorithm name at the start of an SSH public key blob ("ssh-ed25519", ...).
    static func keyType(ofBlob blob: Data) -> String {
        guard blob.count >= 4 else { return "unknown" }
        let length = blob.prefix(4).reduce(0) { ($0 << 8) | Int($1) }
        guard length > 0, blob.count >= 4 + length else { return "unknown" }
        return String(decoding: blob.dropFirst(4).prefix(length), as: UTF8.self)
    }

    /// Host key algorithms libssh2 1.10 can verify, in our order of preference.
    static let hostKeyAlgorithms = ["ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
                                    "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]

    /// The negotiation order that makes the server present a key type we have on record.
    static func hostKeyPreference(recorded: [String]) -> String {
        var ordered: [String] = []
        for type in recorded {
            let algorithms = type == "ssh-rsa" ? ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"] : [type]
            for a in algorithms where hostKeyAlgorithms.contains(a) && !ordered.contains(a) { ordered.append(a) }
        }
        for a in hostKeyAlgorithms where !ordered.contains(a) { ordered.append(a) }
        return ordered.joined(separator: ",")
    }
}
