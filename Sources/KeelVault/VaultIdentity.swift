/// One vault password and the id it is known by (`--vault-id prod@file`: label "prod"); Ansible's
/// `VaultSecret` with its vault id. `source` says where it came from, for error messages only.
public struct VaultIdentity: Sendable, Equatable {
    public var label: String
    public var password: [UInt8]
    public var source: String

    public init(label: String, password: [UInt8], source: String) {
        self.label = label
        self.password = password
        self.source = source
    }

    public init(label: String = "default", password: String, source: String) {
        self.init(label: label, password: Array(password.utf8), source: source)
    }
}
