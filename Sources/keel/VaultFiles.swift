import Foundation
import KeelBase
import KeelVault

/// The file work `keel vault` does, as ansible-vault does it: `-` is standard input or output, files
/// are replaced atomically keeping their mode, and plaintext for an editor lives only in a private
/// temporary directory that is removed afterwards.
enum VaultFiles {
    static func read(_ path: String) throws -> Data {
        if path == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeelError("cannot read '\(path)'", found: FileManager.default.fileExists(atPath: path) ? "an unreadable file" : "no such file")
        }
        return data
    }

    /// Writes `data` to `path` (`-`: stdout) through a temporary file in the same directory and a rename,
    /// so an interrupted write leaves the old file. A new file is private (0600); an existing one keeps its mode.
    static func write(_ data: Data, to path: String) throws {
        if path == "-" { FileHandle.standardOutput.write(data); return }
        let mode = (try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int) ?? 0o600
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = (directory.isEmpty ? "." : directory) + "/.\((path as NSString).lastPathComponent).keel-\(getpid())"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: mode]) else {
            throw KeelError("cannot write '\(path)'")
        }
        guard rename(temporary, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary)
            throw KeelError("cannot replace '\(path)': \(why)")
        }
    }

    static func decrypt(_ data: Data, from path: String) throws -> Data {
        guard VaultEnvelope.isVaulted(data) else {
            throw KeelError("input is not vault encrypted data", at: SourceLocation(file: path, line: 1, column: 1),
                            expected: "a file starting with $ANSIBLE_VAULT;", found: "plaintext")
        }
        return Data(try VaultKeyring.shared.decrypt(String(decoding: data, as: UTF8.self),
                                                    at: SourceLocation(file: path, line: 1, column: 1)))
    }

    static func encrypt(_ data: Data, with identity: VaultIdentity) throws -> Data {
        Data(try VaultCipher.encrypt(Array(data), password: identity.password, label: identity.label).text.utf8)
    }

    /// Runs $EDITOR (else vi) on a private copy holding `plaintext`; returns what the user saved.
    static func edit(_ plaintext: Data, suffix: String) throws -> Data {
        var template = Array((NSTemporaryDirectory() + "/keel-vault-edit-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw KeelError("cannot make a private temporary directory") }
        let directory = String(cString: made)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = directory + "/plaintext" + suffix
        guard FileManager.default.createFile(atPath: file, contents: plaintext, attributes: [.posixPermissions: 0o600]) else {
            throw KeelError("cannot write the temporary file \(file)")
        }
        let editor = ProcessInfo.processInfo.environment["EDITOR"].flatMap { $0.isEmpty ? nil : $0 } ?? "vi"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // $EDITOR may carry arguments ("code -w"), as Ansible splits it with shlex.
        process.arguments = ["-c", "exec \(editor) \"$1\"", "keel-vault-editor", file]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeelError("the editor '\(editor)' exited with status \(process.terminationStatus); nothing was saved")
        }
        guard let edited = FileManager.default.contents(atPath: file) else { throw KeelError("cannot read back \(file)") }
        return edited
    }

    /// ansible-vault encrypt_string's YAML: `name: !vault |` and the vault text indented by 10 spaces.
    static func yamlValue(_ vaultText: String, name: String?) -> String {
        var lines = [(name.map { "\($0): " } ?? "") + "!vault |"]
        for line in vaultText.split(whereSeparator: \.isNewline) { lines.append(String(repeating: " ", count: 10) + line) }
        return lines.joined(separator: "\n")
    }
}
