import ArgumentParser
import Foundation
import KeelBase
import KeelVault

/// `keel vault`: ansible-vault's commands, with files interchangeable in both directions.
struct VaultCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vault",
        abstract: "Encrypt, decrypt, view and edit Ansible Vault files and strings.",
        discussion: "Files are byte-compatible with ansible-vault (format 1.1, or 1.2 with a vault id; AES256).",
        subcommands: [VaultCreate.self, VaultEncrypt.self, VaultDecrypt.self, VaultView.self, VaultEdit.self,
                      VaultRekey.self, VaultEncryptString.self])
}

/// The password options every `keel vault` command takes, and how each finds its passwords.
struct VaultCommandOptions: ParsableArguments {
    @OptionGroup var passwords: VaultPasswordOptions

    @Option(name: .customLong("encrypt-vault-id"), help: "The vault id to encrypt with, when several are given.")
    var encryptVaultId: String?

    /// Passwords for reading: those given, else one asked for.
    func decryptionIdentities() throws -> [VaultIdentity] {
        var identities = try passwords.configureKeyring(environment: AnsibleConfigLoader.vaultEnvironment())
        if identities.isEmpty {
            identities = [try VaultPasswordSource.identity("default@prompt") { PasswordPrompt.read($0) }]
            VaultKeyring.shared.identities = identities
        }
        return identities
    }

    /// The password to encrypt with: --encrypt-vault-id's, the only one given, or a new one asked twice.
    func encryptionIdentity() throws -> VaultIdentity {
        let identities = try passwords.configureKeyring(environment: AnsibleConfigLoader.vaultEnvironment())
        if let label = encryptVaultId { return try VaultKeyring.shared.encryptionIdentity(label: label) }
        if identities.count > 1 {
            throw KeelError("the vault ids \(identities.map(\.label).joined(separator: ", ")) are available to encrypt",
                            expected: "--encrypt-vault-id to choose one", found: "\(identities.count) vault ids")
        }
        if let only = identities.first { return only }
        let first = PasswordPrompt.read("New Vault password: ")
        let second = PasswordPrompt.read("Confirm New Vault password: ")
        guard first == second else { throw KeelError("the passwords do not match") }
        guard !first.isEmpty else { throw KeelError("an empty vault password is not allowed") }
        let identity = VaultIdentity(password: first, source: "prompt")
        VaultKeyring.shared.identities = [identity]
        return identity
    }
}

/// Runs `body` and turns a KeelError into its message on stderr and exit status 1, as ansible-vault does.
func vaultCommand(_ body: () throws -> Void) throws {
    do { try body() } catch let error as KeelError {
        FileHandle.standardError.write(Data("ERROR! \(error)\n".utf8))
        throw ExitCode(1)
    }
}

struct VaultCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a new encrypted file with $EDITOR.")
    @OptionGroup var options: VaultCommandOptions
    @Argument(help: "The file to create.") var file: String

    func run() throws {
        try vaultCommand {
            guard !FileManager.default.fileExists(atPath: file) else {
                throw KeelError("'\(file)' exists; use 'keel vault edit' to change it")
            }
            let identity = try options.encryptionIdentity()
            let plaintext = try VaultFiles.edit(Data(), suffix: (file as NSString).pathExtension.isEmpty ? "" : "." + (file as NSString).pathExtension)
            try VaultFiles.write(try VaultFiles.encrypt(plaintext, with: identity), to: file)
        }
    }
}

struct VaultEncrypt: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encrypt", abstract: "Encrypt files in place (or standard input).")
    @OptionGroup var options: VaultCommandOptions
    @Option(name: .customLong("output"), help: "Write here instead of in place ('-': standard output).") var output: String?
    @Argument(help: "Files to encrypt ('-' or none: standard input).") var files: [String] = []

    func run() throws {
        try vaultCommand {
            let identity = try options.encryptionIdentity()
            let inputs = files.isEmpty ? ["-"] : files
            for input in inputs {
                let data = try VaultFiles.read(input)
                guard !VaultEnvelope.isVaulted(data) else {
                    throw KeelError("input is already encrypted", at: SourceLocation(file: input, line: 1, column: 1))
                }
                try VaultFiles.write(try VaultFiles.encrypt(data, with: identity), to: output ?? input)
            }
            FileHandle.standardError.write(Data("Encryption successful\n".utf8))
        }
    }
}

struct VaultDecrypt: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "decrypt", abstract: "Decrypt files in place (or standard input).")
    @OptionGroup var options: VaultCommandOptions
    @Option(name: .customLong("output"), help: "Write here instead of in place ('-': standard output).") var output: String?
    @Argument(help: "Files to decrypt ('-' or none: standard input).") var files: [String] = []

    func run() throws {
        try vaultCommand {
            _ = try options.decryptionIdentities()
            let inputs = files.isEmpty ? ["-"] : files
            for input in inputs {
                let plaintext = try VaultFiles.decrypt(try VaultFiles.read(input), from: input)
                try VaultFiles.write(plaintext, to: output ?? input)
            }
            FileHandle.standardError.write(Data("Decryption successful\n".utf8))
        }
    }
}

struct VaultView: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "view", abstract: "Print the plaintext of encrypted files.")
    @OptionGroup var options: VaultCommandOptions
    @Argument(help: "Files to show.") var files: [String]

    func run() throws {
        try vaultCommand {
            _ = try options.decryptionIdentities()
            for file in files {
                FileHandle.standardOutput.write(try VaultFiles.decrypt(try VaultFiles.read(file), from: file))
            }
        }
    }
}

struct VaultEdit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "edit", abstract: "Edit an encrypted file with $EDITOR.")
    @OptionGroup var options: VaultCommandOptions
    @Argument(help: "The file to edit.") var file: String

    func run() throws {
        try vaultCommand {
            _ = try options.decryptionIdentities()
            let stored = try VaultFiles.read(file)
            let plaintext = try VaultFiles.decrypt(stored, from: file)
            let suffix = (file as NSString).pathExtension.isEmpty ? "" : "." + (file as NSString).pathExtension
            let edited = try VaultFiles.edit(plaintext, suffix: suffix)
            guard edited != plaintext else { return }   // unchanged: the file keeps its ciphertext, as with ansible-vault
            // Re-encrypted with --encrypt-vault-id's password, else the one that opened it (and its vault id).
            let identity = try options.encryptVaultId.map { try VaultKeyring.shared.encryptionIdentity(label: $0) }
                ?? VaultKeyring.shared.identity(opening: String(decoding: stored, as: UTF8.self))
                ?? VaultKeyring.shared.encryptionIdentity()
            try VaultFiles.write(try VaultFiles.encrypt(edited, with: identity), to: file)
        }
    }
}

struct VaultRekey: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rekey", abstract: "Re-encrypt files with a new password.")
    @OptionGroup var options: VaultCommandOptions
    @Option(name: .customLong("new-vault-password-file"), help: "The new password's file (or executable).") var newPasswordFile: String?
    @Option(name: .customLong("new-vault-id"), help: "The new vault identity, LABEL@SOURCE.") var newVaultId: String?
    @Argument(help: "Files to rekey.") var files: [String]

    func run() throws {
        try vaultCommand {
            _ = try options.decryptionIdentities()
            let newIdentity: VaultIdentity
            if let newVaultId {
                newIdentity = try VaultPasswordSource.identity(newVaultId) { PasswordPrompt.read($0) }
            } else if let newPasswordFile {
                newIdentity = try VaultPasswordSource.identity("default@" + newPasswordFile) { PasswordPrompt.read($0) }
            } else {
                let first = PasswordPrompt.read("New Vault password: ")
                guard first == PasswordPrompt.read("Confirm New Vault password: ") else { throw KeelError("the passwords do not match") }
                newIdentity = VaultIdentity(password: first, source: "prompt")
            }
            for file in files {
                let plaintext = try VaultFiles.decrypt(try VaultFiles.read(file), from: file)
                try VaultFiles.write(try VaultFiles.encrypt(plaintext, with: newIdentity), to: file)
            }
            FileHandle.standardError.write(Data("Rekey successful\n".utf8))
        }
    }
}

struct VaultEncryptString: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "encrypt_string", abstract: "Encrypt strings as YAML `!vault` values.",
                                                    aliases: ["encrypt-string"])
    @OptionGroup var options: VaultCommandOptions
    @Option(name: [.short, .customLong("name")], help: "Variable name for each string, in order (repeatable).") var names: [String] = []
    @Option(name: .customLong("stdin-name"), help: "Variable name for the string read from standard input.") var stdinName: String?
    @Argument(help: "Strings to encrypt ('-' or none: standard input).") var strings: [String] = []

    func run() throws {
        try vaultCommand {
            let identity = try options.encryptionIdentity()
            var items: [(name: String?, text: String)] = []
            if strings.isEmpty || strings == ["-"] {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                guard !data.isEmpty else { throw KeelError("stdin was empty, not encrypting") }
                items.append((stdinName ?? names.first, String(decoding: data, as: UTF8.self)))
            } else {
                for (index, text) in strings.enumerated() { items.append((index < names.count ? names[index] : nil, text)) }
            }
            var blocks: [String] = []
            for item in items {
                let text = try VaultCipher.encrypt(Array(item.text.utf8), password: identity.password, label: identity.label).text
                blocks.append(VaultFiles.yamlValue(text, name: item.name))
            }
            FileHandle.standardOutput.write(Data((blocks.joined(separator: "\n") + "\n").utf8))
            FileHandle.standardError.write(Data("Encryption successful\n".utf8))
        }
    }
}
