import Crypto
import _CryptoExtras
import Foundation

/// Ansible Vault's AES256 cipher: PBKDF2-HMAC-SHA256 (10,000 rounds) over the password and a 32-byte
/// salt gives 80 bytes, split into an AES-256 key, an HMAC-SHA256 key and a 16-byte CTR counter. The
/// PKCS#7-padded plaintext is encrypted in CTR mode and the HMAC is taken over the ciphertext, which is
/// checked before anything is decrypted.
public enum VaultCipher {
    static let rounds = 10_000
    static let keyLength = 32
    static let counterLength = 16
    static let blockSize = 16

    struct DerivedKeys: Sendable {
        var encryptionBytes: [UInt8]
        var authenticationBytes: [UInt8]
        var counter: [UInt8]
        var encryption: SymmetricKey { SymmetricKey(data: encryptionBytes) }
        var authentication: SymmetricKey { SymmetricKey(data: authenticationBytes) }
    }

    /// Derivation costs 10,000 HMAC rounds; a repository with hundreds of inline values usually shares
    /// passwords, and values re-encrypted together can share salts, so keys are kept per password and salt.
    private static let cache = KeyCache()

    static func keys(password: [UInt8], salt: [UInt8]) throws -> DerivedKeys {
        if let cached = cache.get(password: password, salt: salt) { return cached }
        let derived = try KDF.Insecure.PBKDF2.deriveKey(from: password, salt: salt, using: .sha256,
                                                         outputByteCount: 2 * keyLength + counterLength,
                                                         unsafeUncheckedRounds: rounds)
        let bytes = derived.withUnsafeBytes { Array($0) }
        let keys = DerivedKeys(encryptionBytes: Array(bytes[0..<keyLength]),
                               authenticationBytes: Array(bytes[keyLength..<2 * keyLength]),
                               counter: Array(bytes[(2 * keyLength)...]))
        cache.put(keys, password: password, salt: salt)
        return keys
    }

    /// Encrypts `plaintext` with `password`; `salt` is random unless given (tests, reproducible output).
    public static func encrypt(_ plaintext: [UInt8], password: [UInt8], label: String? = nil,
                               salt: [UInt8]? = nil) throws -> VaultEnvelope {
        let salt = salt ?? (0..<32).map { _ in UInt8.random(in: 0...255) }
        let keys = try keys(password: password, salt: salt)
        let padding = blockSize - plaintext.count % blockSize
        let padded = plaintext + [UInt8](repeating: UInt8(padding), count: padding)
        let ciphertext = Array(try AES._CTR.encrypt(padded, using: keys.encryption,
                                                    nonce: AES._CTR.Nonce(nonceBytes: keys.counter)))
        let mac = Array(HMAC<SHA256>.authenticationCode(for: ciphertext, using: keys.authentication))
        let versioned = label.map { $0 != "default" } ?? false
        return VaultEnvelope(version: versioned ? "1.2" : "1.1", cipher: "AES256", label: versioned ? label : nil,
                             salt: salt, hmac: mac, ciphertext: ciphertext)
    }

    /// The plaintext of `envelope`, or `VaultError.hmacMismatch` when this password did not encrypt it
    /// (or the data was changed).
    public static func decrypt(_ envelope: VaultEnvelope, password: [UInt8]) throws -> [UInt8] {
        let keys = try keys(password: password, salt: envelope.salt)
        guard HMAC<SHA256>.isValidAuthenticationCode(envelope.hmac, authenticating: envelope.ciphertext,
                                                     using: keys.authentication) else {
            throw VaultError.hmacMismatch
        }
        let padded = Array(try AES._CTR.decrypt(envelope.ciphertext, using: keys.encryption,
                                                nonce: AES._CTR.Nonce(nonceBytes: keys.counter)))
        guard let last = padded.last, last >= 1, Int(last) <= blockSize, Int(last) <= padded.count,
              padded.suffix(Int(last)).allSatisfy({ $0 == last }) else {
            throw VaultError.badPadding
        }
        return Array(padded.dropLast(Int(last)))
    }
}

/// Derived keys by password and salt, shared by every thread of a run.
final class KeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [[UInt8]: VaultCipher.DerivedKeys] = [:]

    private func key(_ password: [UInt8], _ salt: [UInt8]) -> [UInt8] {
        // Length-prefixed so that no two (password, salt) pairs share a key.
        withUnsafeBytes(of: UInt64(password.count).littleEndian) { Array($0) } + password + salt
    }

    func get(password: [UInt8], salt: [UInt8]) -> VaultCipher.DerivedKeys? {
        lock.lock(); defer { lock.unlock() }
        return entries[key(password, salt)]
    }

    func put(_ keys: VaultCipher.DerivedKeys, password: [UInt8], salt: [UInt8]) {
        lock.lock(); defer { lock.unlock() }
        entries[key(password, salt)] = keys
    }
}
