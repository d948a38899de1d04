import Foundation
import KeelBase

/// Controller files that tasks send to hosts (copy, template, script, unarchive `src:`): a vaulted one
/// is decrypted on the controller before use, as Ansible does by default. Its text lines are secrets,
/// so a diff of the file it produces never shows them.
public enum VaultedFile {
    /// The bytes to use for the file at `path`: its plaintext when it is vault-encrypted.
    public static func plaintext(_ data: Data, path: String) throws -> Data {
        guard VaultEnvelope.isVaulted(data) else { return data }
        let text = String(decoding: data, as: UTF8.self)
        let bytes = try VaultKeyring.shared.decrypt(text, at: SourceLocation(file: path, line: 1, column: 1))
        if let plaintext = String(bytes: bytes, encoding: .utf8) { SecretRedactor.shared.register(plaintext) }
        return Data(bytes)
    }

    /// Reads `path` and decrypts it when vaulted.
    public static func read(_ path: String) throws -> Data {
        guard let data = FileManager.default.contents(atPath: path) else { throw KeelError("cannot read \(path)") }
        return try plaintext(data, path: path)
    }
}

extension VaultedFile {
    /// A path to use for `path` by tools that read files themselves (tar listing an archive): the path
    /// itself, or, for a vaulted file, its plaintext in a private temporary directory that is removed
    /// when the process exits.
    public static func plaintextPath(_ path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw KeelError("cannot read \(path)") }
        let head = (try? handle.read(upToCount: VaultEnvelope.headerPrefix.utf8.count)) ?? Data()
        try? handle.close()
        guard VaultEnvelope.isVaulted(head) else { return path }
        return try PlaintextCopies.shared.copy(of: path)
    }
}

/// Decrypted copies of vaulted controller files, one per source, in a 0700 directory of their own.
final class PlaintextCopies: @unchecked Sendable {
    static let shared = PlaintextCopies()
    private let lock = NSLock()
    private var copies: [String: String] = [:]
    private var directory: String?

    func copy(of path: String) throws -> String {
        lock.lock(); defer { lock.unlock() }
        if let existing = copies[path] { return existing }
        let plaintext = try VaultedFile.read(path)
        let folder = try privateDirectory()
        let target = folder + "/" + String(copies.count) + "-" + (path as NSString).lastPathComponent
        guard FileManager.default.createFile(atPath: target, contents: plaintext, attributes: [.posixPermissions: 0o600]) else {
            throw KeelError("cannot write the decrypted copy of \(path) to \(folder)")
        }
        copies[path] = target
        return target
    }

    private func privateDirectory() throws -> String {
        if let directory { return directory }
        var template = Array((NSTemporaryDirectory() + "/keel-vault-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw KeelError("cannot make a private temporary directory") }
        let path = String(cString: made)
        directory = path
        PlaintextCopies.removeAtExit = path
        atexit { if let path = PlaintextCopies.removeAtExit { try? FileManager.default.removeItem(atPath: path) } }
        return path
    }

    nonisolated(unsafe) static var removeAtExit: String?
}
