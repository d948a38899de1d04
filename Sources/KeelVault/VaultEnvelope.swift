import Foundation
import KeelBase

/// The text form of Ansible Vault data: a header line `$ANSIBLE_VAULT;1.1;AES256` (1.2 adds the vault
/// id: `$ANSIBLE_VAULT;1.2;AES256;prod`), then the hexlified payload in lines of 80 characters. The
/// payload, once unhexlified, is itself three hex strings on three lines: salt, HMAC, ciphertext.
public struct VaultEnvelope: Sendable, Equatable {
    public static let headerPrefix = "$ANSIBLE_VAULT;"

    public var version: String
    public var cipher: String
    /// The vault id named in a 1.2 header; nil for 1.1.
    public var label: String?
    public var salt: [UInt8]
    public var hmac: [UInt8]
    public var ciphertext: [UInt8]

    public init(version: String, cipher: String, label: String?, salt: [UInt8], hmac: [UInt8], ciphertext: [UInt8]) {
        self.version = version
        self.cipher = cipher
        self.label = label
        self.salt = salt
        self.hmac = hmac
        self.ciphertext = ciphertext
    }

    /// True when `text` is vault data (leading whitespace allowed, as in an indented `!vault |` block).
    public static func isVaulted(_ text: String) -> Bool {
        text.drop(while: { $0.isWhitespace }).hasPrefix(headerPrefix)
    }

    public static func isVaulted(_ data: Data) -> Bool {
        data.starts(with: Array(headerPrefix.utf8))
    }

    /// Parses the envelope; the error says what is wrong with it (the caller adds where it was).
    public static func parse(_ text: String) throws -> VaultEnvelope {
        let lines = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        guard let header = lines.first, header.hasPrefix(headerPrefix) else {
            throw VaultError.malformed("the data does not start with '\(headerPrefix)'")
        }
        let fields = header.split(separator: ";", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard fields.count >= 3 else { throw VaultError.malformed("the header '\(header)' has no version and cipher") }
        let version = fields[1], cipher = fields[2]
        guard version == "1.1" || version == "1.2" || version == "1.0" else {
            throw VaultError.malformed("unknown vault format version '\(version)' (expected 1.1 or 1.2)")
        }
        guard cipher == "AES256" else { throw VaultError.malformed("the cipher '\(cipher)' is not supported (expected AES256)") }
        let label = version == "1.2" && fields.count >= 4 && !fields[3].isEmpty ? fields[3] : nil
        guard let outer = hexBytes(lines.dropFirst().joined()) else {
            throw VaultError.malformed("the body is not hexadecimal")
        }
        let parts = outer.split(separator: UInt8(ascii: "\n"), maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3,
              let salt = hexBytes(String(decoding: parts[0], as: UTF8.self)),
              let hmac = hexBytes(String(decoding: parts[1], as: UTF8.self)),
              let ciphertext = hexBytes(String(decoding: parts[2], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw VaultError.malformed("the body does not hold a salt, an HMAC and a ciphertext")
        }
        return VaultEnvelope(version: version, cipher: cipher, label: label, salt: salt, hmac: hmac, ciphertext: ciphertext)
    }

    /// The text ansible-vault writes: header, the payload in 80-column lines, a final newline.
    /// A label other than "default" makes it format 1.2, as ansible-vault does.
    public var text: String {
        let inner = [salt, hmac, ciphertext].map { hexString($0) }.joined(separator: "\n")
        let outer = hexString(Array(inner.utf8))
        var header = Self.headerPrefix + "\(version);\(cipher)"
        if version == "1.2", let label { header += ";\(label)" }
        var lines = [header]
        var index = outer.startIndex
        while index < outer.endIndex {
            let end = outer.index(index, offsetBy: 80, limitedBy: outer.endIndex) ?? outer.endIndex
            lines.append(String(outer[index..<end]))
            index = end
        }
        return lines.joined(separator: "\n") + "\n"
    }
}

/// What can go wrong with vault data itself; `VaultKeyring` turns these into located `KeelError`s.
public enum VaultError: Error, Equatable, CustomStringConvertible {
    case malformed(String)
    case hmacMismatch
    case badPadding

    public var description: String {
        switch self {
        case .malformed(let why): return "invalid vault data: \(why)"
        case .hmacMismatch: return "HMAC verification failed"
        case .badPadding: return "the decrypted data has invalid padding"
        }
    }
}
