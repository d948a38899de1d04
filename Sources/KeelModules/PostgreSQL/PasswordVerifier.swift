import Crypto
import Foundation

/// Whether a clear-text password matches what pg_authid stores, without ever sending the password to the
/// server to find out: a SCRAM-SHA-256 verifier is recomputed from its salt and iteration count (RFC 5802:
/// ServerKey = HMAC(PBKDF2(password, salt, i), "Server Key")), an MD5 one is md5(password + role name).
enum PasswordVerifier {
    /// true/false when `stored` is a SCRAM verifier; nil when it is not one.
    static func scramMatches(password: String, stored: String) -> Bool? {
        guard let parsed = parseSCRAM(stored) else { return nil }
        let salted = pbkdf2SHA256(password: Array(password.utf8), salt: parsed.salt, iterations: parsed.iterations)
        let serverKey = HMAC<SHA256>.authenticationCode(for: Array("Server Key".utf8), using: SymmetricKey(data: salted))
        return Array(serverKey) == parsed.serverKey
    }

    static func isSCRAM(_ text: String) -> Bool { parseSCRAM(text) != nil }

    /// `md5` followed by 32 hex digits, as PostgreSQL stores (and accepts) an MD5 password.
    static func isMD5(_ text: String) -> Bool {
        text.hasPrefix("md5") && text.count == 35 && text.dropFirst(3).allSatisfy(\.isHexDigit)
    }

    static func md5(password: String, user: String) -> String {
        "md5" + Insecure.MD5.hash(data: Data((password + user).utf8)).map { String(format: "%02x", $0) }.joined()
    }

    /// SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>, base64 parts.
    static func parseSCRAM(_ text: String) -> (iterations: Int, salt: [UInt8], serverKey: [UInt8])? {
        guard text.hasPrefix("SCRAM-SHA-256$") else { return nil }
        let parts = text.dropFirst("SCRAM-SHA-256$".count).split(separator: "$", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return nil }
        let head = parts[0].split(separator: ":"), keys = parts[1].split(separator: ":")
        guard head.count == 2, keys.count == 2, let iterations = Int(head[0]), iterations > 0,
              let salt = Data(base64Encoded: String(head[1])), let serverKey = Data(base64Encoded: String(keys[1])) else { return nil }
        return (iterations, Array(salt), Array(serverKey))
    }

    /// PBKDF2-HMAC-SHA256, first (and only needed) 32-byte block.
    static func pbkdf2SHA256(password: [UInt8], salt: [UInt8], iterations: Int) -> [UInt8] {
        let key = SymmetricKey(data: password)
        var block = Array(HMAC<SHA256>.authenticationCode(for: salt + [0, 0, 0, 1], using: key))
        var result = block
        for _ in 1..<iterations {
            block = Array(HMAC<SHA256>.authenticationCode(for: block, using: key))
            for index in result.indices { result[index] ^= block[index] }
        }
        return result
    }
}
