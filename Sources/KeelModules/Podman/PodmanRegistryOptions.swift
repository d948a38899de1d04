import KeelBase

/// The registry settings podman's pull, push and build share (containers.podman's validate_certs,
/// ca_cert_dir, auth_file, username/password), turned into podman flags once.
struct PodmanRegistryOptions: Sendable, Codable, Equatable {
    var validateCerts: Bool?
    var certDirectory: String?
    var authFile: String?
    var username: String?
    var password: String?

    /// The flags for `podman pull|push|build`. The credentials go in `--creds`; steps that carry these
    /// flags never print them (see `redacted`).
    var flags: [String] {
        var flags: [String] = []
        if let validateCerts { flags.append("--tls-verify=\(validateCerts)") }
        if let certDirectory { flags += ["--cert-dir", certDirectory] }
        if let authFile { flags += ["--authfile", authFile] }
        if let username, let password { flags += ["--creds", "\(username):\(password)"] }
        return flags
    }

    /// The flags with the password hidden, for plan descriptions and error messages.
    var redactedFlags: [String] {
        flags.map { $0.hasPrefix("\(username ?? ""):") && password != nil ? "\(username ?? ""):********" : $0 }
    }
}
