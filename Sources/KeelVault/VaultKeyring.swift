import Foundation
import KeelBase

/// The vault passwords of this run, and decryption as ansible-vault does it: the password whose id the
/// data names is tried first, then every other one in the order given. The CLI configures the shared
/// keyring before loading anything, so inventories, variables files and controller files all decrypt
/// with the same passwords. Everything decrypted is registered with `SecretRedactor`.
public final class VaultKeyring: @unchecked Sendable {
    public static let shared = VaultKeyring()

    private let lock = NSLock()
    private var _identities: [VaultIdentity] = []

    public init(identities: [VaultIdentity] = []) { _identities = identities }

    public var identities: [VaultIdentity] {
        get { lock.lock(); defer { lock.unlock() }; return _identities }
        set { lock.lock(); _identities = newValue; lock.unlock() }
    }

    /// Decrypts vault text. `location` is where the data was written (a file's first line, or an inline
    /// `!vault` value); every error points at it.
    public func decrypt(_ text: String, at location: SourceLocation) throws -> [UInt8] {
        let envelope: VaultEnvelope
        do { envelope = try VaultEnvelope.parse(text) } catch let error as VaultError {
            throw KeelError(error.description, at: location, expected: "Ansible Vault data ($ANSIBLE_VAULT;1.1 or 1.2;AES256)",
                            found: "malformed vault data")
        }
        let candidates = identities
        guard !candidates.isEmpty else {
            throw KeelError("vault-encrypted data, but no vault password was given", at: location,
                            expected: "--ask-vault-pass, --vault-password-file or --vault-id",
                            found: envelope.label.map { "data encrypted for vault id '\($0)'" } ?? "vault-encrypted data")
        }
        // Ansible tries the secret with the data's own vault id first, then all of them.
        let ordered = candidates.filter { $0.label == envelope.label } + candidates.filter { $0.label != envelope.label }
        var lastError: VaultError = .hmacMismatch
        for identity in ordered {
            do {
                return try VaultCipher.decrypt(envelope, password: identity.password)
            } catch let error as VaultError {
                lastError = error
            }
        }
        let tried = Array(Set(ordered.map(\.label))).sorted().joined(separator: ", ")
        throw KeelError("Decryption failed (no vault secrets were found that could decrypt): \(lastError)", at: location,
                        expected: "a vault password that encrypted this data"
                            + (envelope.label.map { " (the data names vault id '\($0)')" } ?? ""),
                        found: "wrong password or corrupted data (tried vault ids: \(tried))")
    }

    /// Derives, on every core at once, the keys the given vault texts will need, so that loading a file
    /// with hundreds of inline values (each with its own salt, as encrypt_string makes them) costs a
    /// fraction of deriving them one by one. Only the password that will be tried first is derived for.
    public func prepare(_ texts: [String]) {
        let all = identities
        guard texts.count > 1, !all.isEmpty else { return }
        let jobs: [(password: [UInt8], salt: [UInt8])] = texts.compactMap { text in
            guard let envelope = try? VaultEnvelope.parse(text) else { return nil }
            let identity = all.first { $0.label == envelope.label } ?? all[0]
            return (identity.password, envelope.salt)
        }
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            _ = try? VaultCipher.keys(password: jobs[index].password, salt: jobs[index].salt)
        }
    }

    /// Decrypts and returns UTF-8 text, registering it as a secret unless the caller registers what in
    /// it is secret itself (a whole vaulted YAML file: its values, not its lines).
    public func decryptText(_ text: String, at location: SourceLocation, registerSecret: Bool = true) throws -> String {
        let bytes = try decrypt(text, at: location)
        guard let plaintext = String(bytes: bytes, encoding: .utf8) else {
            throw KeelError("the decrypted vault data is not UTF-8 text", at: location)
        }
        if registerSecret { SecretRedactor.shared.register(plaintext) }
        return plaintext
    }

    /// The identity whose password opens `text` (the data's own vault id first), for re-encrypting an
    /// edited file with the password it had.
    public func identity(opening text: String) -> VaultIdentity? {
        guard let envelope = try? VaultEnvelope.parse(text) else { return nil }
        let all = identities
        let ordered = all.filter { $0.label == envelope.label } + all.filter { $0.label != envelope.label }
        return ordered.first { (try? VaultCipher.decrypt(envelope, password: $0.password)) != nil }
    }

    /// The identity to encrypt with: the one labelled `label`, or the only/first one.
    public func encryptionIdentity(label: String? = nil) throws -> VaultIdentity {
        let all = identities
        if let label {
            guard let found = all.first(where: { $0.label == label }) else {
                throw KeelError("no vault password for the vault id '\(label)'",
                                expected: "a --vault-id \(label)@SOURCE", found: all.isEmpty ? "no vault ids" : "vault ids " + all.map(\.label).joined(separator: ", "))
            }
            return found
        }
        guard let first = all.first else {
            throw KeelError("encrypting needs a vault password", expected: "--ask-vault-pass, --vault-password-file or --vault-id",
                            found: "no vault password")
        }
        return first
    }
}
