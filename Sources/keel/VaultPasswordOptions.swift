import ArgumentParser
import Foundation
import KeelBase
import KeelVault

/// The vault password options ansible-playbook and ansible-vault share, and their environment
/// variables. `configureKeyring()` reads every password before anything is loaded, so a missing file or
/// a failing script stops the run before a host is touched.
struct VaultPasswordOptions: ParsableArguments {
    @Flag(name: [.customShort("J"), .customLong("ask-vault-pass"), .customLong("ask-vault-password")],
          help: "Ask for the vault password.")
    var askVaultPass = false

    @Option(name: [.customLong("vault-password-file"), .customLong("vault-pass-file")],
            help: "A file holding the vault password, or an executable printing it (repeatable).")
    var vaultPasswordFiles: [String] = []

    @Option(name: .customLong("vault-id"), help: "A vault identity, LABEL@SOURCE (SOURCE: a file, an executable or 'prompt'; repeatable).")
    var vaultIds: [String] = []

    /// Ansible's order: ANSIBLE_VAULT_IDENTITY_LIST, then --vault-id, then the password files (the
    /// command line's, or ANSIBLE_VAULT_PASSWORD_FILE), then --ask-vault-pass.
    func identitySpecs(environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        var specs: [String] = []
        if let list = environment["ANSIBLE_VAULT_IDENTITY_LIST"], !list.isEmpty {
            specs += list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        specs += vaultIds
        var files = vaultPasswordFiles
        if files.isEmpty, let file = environment["ANSIBLE_VAULT_PASSWORD_FILE"], !file.isEmpty { files = [file] }
        specs += files.map { "default@" + $0 }
        if askVaultPass { specs.append("default@prompt") }
        return specs
    }

    /// Reads the passwords and hands them to the shared keyring; returns them too (for `keel vault`).
    @discardableResult
    func configureKeyring(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> [VaultIdentity] {
        var identities: [VaultIdentity] = []
        for spec in identitySpecs(environment: environment) {
            let identity = try VaultPasswordSource.identity(spec) { PasswordPrompt.read($0) }
            if !identities.contains(identity) { identities.append(identity) }
        }
        VaultKeyring.shared.identities = identities
        return identities
    }
}
