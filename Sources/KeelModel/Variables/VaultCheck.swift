import KeelBase

/// Keel cannot decrypt Ansible Vault data; using the ciphertext as a value would fail much later and far
/// from the cause, so vaulted values and files are refused where they are written.
enum VaultCheck {
    static let fileHeader = "$ANSIBLE_VAULT;"

    /// Throws at the first `!vault` node under `node`.
    static func rejectVaultTags(in node: YAMLNode) throws {
        if node.tag == "!vault" {
            throw KeelError("vault-encrypted values are not supported", at: node.location,
                            expected: "a plain value (decrypt it, or pass it with -e @file)", found: "!vault")
        }
        switch node.kind {
        case .scalar: return
        case .sequence(let items): for item in items { try rejectVaultTags(in: item) }
        case .mapping(let pairs): for pair in pairs { try rejectVaultTags(in: pair.value) }
        }
    }

    /// Throws when a whole file is vault-encrypted.
    static func rejectVaultFile(_ text: String, file: String) throws {
        if text.hasPrefix(fileHeader) {
            throw KeelError("vault-encrypted files are not supported", at: SourceLocation(file: file, line: 1, column: 1),
                            expected: "a plain YAML file", found: "an Ansible Vault file")
        }
    }
}
