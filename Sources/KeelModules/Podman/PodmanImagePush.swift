import Foundation
import KeelBase
import KeelTransport

/// Where `push: true` sends an image, as containers.podman builds the destination, and what the registry
/// already holds there: the image's config digest in the registry's manifest is the local image ID, so a
/// push is due only when they differ (containers.podman pushes on every run).
enum PodmanImagePush {
    struct Destination: Equatable {
        /// The registry reference (`registry:5000/app:1`), or the transport's path.
        var reference: String
        /// What `podman push` is given as destination.
        var transportReference: String
        /// A docker registry (no transport or `docker`): its copy can be observed.
        var isRegistry: Bool
    }

    static let transports = ["dir", "docker-archive", "docker-daemon", "oci-archive", "ostree", "docker"]
    static let keys = ["dest", "destination", "transport", "format", "compress", "remove_signatures", "sign_by", "extra_args"]

    static func destination(_ image: PodmanImageReference, _ pushArgs: Value?) throws -> Destination? {
        let args = try settings(pushArgs)
        let dest = args["dest"]?.stringValue ?? args["destination"]?.stringValue ?? image.fullName
        guard let transport = args["transport"]?.stringValue else {
            let trimmed = dest.hasSuffix("/") ? String(dest.dropLast()) : dest
            if !dest.contains(":"), !dest.contains("@"), trimmed.split(separator: "/", omittingEmptySubsequences: false).count == 2 {
                let full = trimmed + "/" + image.fullName
                return Destination(reference: full, transportReference: full, isRegistry: true)
            }
            if !dest.contains("/"), !dest.contains("@") {
                throw KeelError("push_args.dest must be a registry reference (registry/name:tag) or a registry and namespace, found \(dest)")
            }
            return Destination(reference: dest, transportReference: dest, isRegistry: true)
        }
        guard transports.contains(transport) else {
            throw KeelError("push_args.transport must be one of \(transports.joined(separator: ", ")), found \(transport)")
        }
        if transport == "docker" { return Destination(reference: dest, transportReference: "docker://\(dest)", isRegistry: true) }
        if transport == "docker-daemon", !dest.contains(":") {
            return Destination(reference: dest, transportReference: "docker-daemon:\(dest):latest", isRegistry: false)
        }
        return Destination(reference: dest, transportReference: "\(transport):\(dest)", isRegistry: false)
    }

    static func settings(_ pushArgs: Value?) throws -> [String: Value] {
        guard let pushArgs, !pushArgs.isNull else { return [:] }
        guard let dict = pushArgs.dictValue else { throw KeelError("push_args must be a mapping, found \(pushArgs.jsonString())") }
        for key in dict.keys where !keys.contains(key) {
            throw KeelError("push_args has no option '\(key)': expected one of \(keys.joined(separator: ", "))")
        }
        return Dictionary(uniqueKeysWithValues: dict.map { ($0.key, $0.value) })
    }

    /// The `podman push` flags of push_args.
    static func flags(_ pushArgs: Value?) throws -> [String] {
        let args = try settings(pushArgs)
        var flags: [String] = []
        if args["compress"]?.ansibleBool == true { flags.append("--compress") }
        if let format = args["format"]?.stringValue { flags += ["--format", format] }
        if args["remove_signatures"]?.ansibleBool == true { flags.append("--remove-signatures") }
        if let sign = args["sign_by"]?.stringValue { flags += ["--sign-by", sign] }
        if let extra = args["extra_args"]?.stringValue { flags += ShellWords.split(extra) }
        return flags
    }

    /// Prints the registry's manifest for `reference`, or nothing when the registry has no such tag.
    /// Other failures (wrong credentials, an untrusted certificate) fail the observation with podman's words.
    /// `podman manifest inspect` (4.3) takes no options at all and reads only the default auth file,
    /// $XDG_RUNTIME_DIR/containers/auth.json: a task's credentials (username/password, or auth_file) are
    /// put there in a private temporary directory, removed at once, so the password is in no command line.
    /// TLS settings cannot be given (see `canObserve`).
    static func remoteScript(_ reference: String, registry: PodmanRegistryOptions, executable: String) -> String {
        var setup = ""
        if let user = registry.username, let password = registry.password {
            let host = String(reference.prefix { $0 != "/" })
            let auth = Data("\(user):\(password)".utf8).base64EncodedString()
            setup = "cat > \"$d/containers/auth.json\" <<'KEEL_AUTH'\n{\"auths\": {\(Value.jsonQuote(host)): {\"auth\": \"\(auth)\"}}}\nKEEL_AUTH\n"
        } else if let authFile = registry.authFile {
            setup = "ln -s \(ShellQuote.quote(authFile)) \"$d/containers/auth.json\"\n"
        }
        let inspect = PodmanImageShell.command(["manifest", "inspect", reference], executable: executable)
        let run = setup.isEmpty
            ? "out=$(\(inspect) 2>&1); rc=$?\n"
            : "d=$(mktemp -d) && mkdir \"$d/containers\" || exit 1\n\(setup)out=$(XDG_RUNTIME_DIR=\"$d\" \(inspect) 2>&1); rc=$?\nrm -rf \"$d\"\n"
        // podman 4.3 prints a single image's manifest only inside its refusal ("parsing manifest blob ...:
        // Treating single images as manifest lists is not implemented"); later versions print it plainly.
        return run + """
            if [ $rc = 0 ]; then printf '%s\\n' "$out"
            else case "$out" in
              *"manifest unknown"*|*"name unknown"*) ;;
              *"Treating single images as manifest lists"*) printf '%s\\n' "$out" ;;
              *) printf '%s\\n' "$out" >&2; exit 1;;
            esac; fi
            """
    }

    /// Whether the registry's copy can be asked with these settings: not with a certificate directory or
    /// without TLS verification, which `podman manifest inspect` cannot be told about (a push then runs on
    /// every run, as in containers.podman).
    static func canObserve(_ registry: PodmanRegistryOptions) -> Bool {
        registry.certDirectory == nil && registry.validateCerts != false
    }

    /// The image ID (config digest, without `sha256:`) in a manifest, nil when there is none.
    static func configDigest(_ manifest: String) -> String? {
        if let parsed = try? Value.parseJSON(manifest.trimmingCharacters(in: .whitespacesAndNewlines)),
           let digest = parsed["config"]?["digest"]?.stringValue {
            return normalizedID(digest)
        }
        // The manifest quoted inside podman 4.3's error message (Go-escaped quotes).
        let flat = manifest.filter { $0 != "\\" && !$0.isWhitespace }
        guard let config = flat.range(of: "\"config\":{"),
              let digest = flat.range(of: "\"digest\":\"", range: config.upperBound..<flat.endIndex) else { return nil }
        let value = flat[digest.upperBound...].prefix { $0 != "\"" }
        return value.hasPrefix("sha256:") ? normalizedID(String(value)) : nil
    }

    static func normalizedID(_ id: String) -> String { id.hasPrefix("sha256:") ? String(id.dropFirst(7)) : id }
}
