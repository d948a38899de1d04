import Foundation
import KeelBase

/// Turns what the user gave (`--vault-id label@source`, `--vault-password-file path`) into identities,
/// as Ansible reads them: a plain file's content with surrounding whitespace removed; an executable's
/// standard output (a "client" script, whose name ends in `-client`, is asked for its id with
/// `--vault-id label`); `prompt` asks on the terminal.
public enum VaultPasswordSource {
    /// `label@source` or just `source` (label "default"), as `--vault-id` takes it.
    public static func split(_ spec: String) -> (label: String, source: String) {
        guard let at = spec.firstIndex(of: "@") else { return ("default", spec) }
        let label = String(spec[..<at])
        return (label.isEmpty ? "default" : label, String(spec[spec.index(after: at)...]))
    }

    /// Reads the identity `spec` names. `prompt` is asked for `prompt` sources and gets the text to show.
    public static func identity(_ spec: String, prompt: (String) -> String) throws -> VaultIdentity {
        let (label, source) = split(spec)
        if source == "prompt" || source == "prompt_ask_vault_pass" {
            let text = prompt(label == "default" ? "Vault password: " : "Vault password (\(label)): ")
            guard !text.isEmpty else { throw KeelError("an empty vault password was given for vault id '\(label)'") }
            return VaultIdentity(label: label, password: text, source: "prompt")
        }
        let path = (source as NSString).expandingTildeInPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
            throw KeelError("the vault password file '\(source)' was not found", expected: "a file holding the password, or an executable printing it",
                            found: isDirectory.boolValue ? "a directory" : "no such file")
        }
        let password: String
        if FileManager.default.isExecutableFile(atPath: path) {
            password = try run(path, label: label)
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw KeelError("cannot read the vault password file '\(source)'")
            }
            password = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard !password.isEmpty else {
            throw KeelError("the vault password file '\(source)' gave an empty password", expected: "a password", found: "nothing")
        }
        return VaultIdentity(label: label, password: password, source: source)
    }

    /// A client script's name (without its extension) ends in "-client".
    static func isClientScript(_ path: String) -> Bool {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension.hasSuffix("-client")
    }

    static func run(_ path: String, label: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = isClientScript(path) ? ["--vault-id", label] : []
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        do { try process.run() } catch {
            throw KeelError("cannot run the vault password script '\(path)': \(error)")
        }
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let detail = String(decoding: stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw KeelError("the vault password script '\(path)' failed with exit status \(process.terminationStatus)"
                            + (detail.isEmpty ? "" : ": \(detail)"))
        }
        // Ansible strips only line endings from a script's output.
        return String(decoding: stdout, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: "\r\n"))
    }
}
