import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_image` (containers.podman.podman_image): an image is present (pulled, built or loaded from an
/// archive, then optionally pushed) or absent. Everything the decision needs (the local image, the build
/// context's digest, the archive's image ID, the registry's copy for a push) is read in one round trip;
/// the image's ID and the digest label decide, so a converged host is left alone and check mode predicts
/// exactly what a real run does.
public struct PodmanImageModule: Module {
    public static let name = "podman_image"
    public static let aliases = ["containers.podman.podman_image"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["path", "src"], ["path", "load_path"], ["src", "load_path"]])
    public static let documentation = PodmanImageDocumentation.documentation

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .word, help: "The image: `repo`, `repo:tag` or `repo@sha256:DIGEST` (a tag or digest here wins over `tag`).") var name: String
        @Option("tag", .string, default: "latest", format: .word, help: "The tag when `name` has none.") var tag: String
        @Option("state", choices: ImageState.self, default: .present, help: "present: pull, build (with path, src or build.container_file) or load it; build: build it; absent: remove it.") var state: ImageState
        @Option("path", .path, help: "The build context on the host: the image is built, not pulled.") var path: String?
        @Option("src", .path, help: "Keel: the build context on the controller (looked up in files/ like copy's src), sent to the host for the build.") var src: String?
        @Option("build", .dict, aliases: ["build_args", "buildargs"], help: "Build settings: file, container_file (the Containerfile's text), args (Keel: build arguments), target, cache, format (oci, docker), extra_args, annotation, rm, force_rm, volume.") var build: Value?
        @Option("load_path", .path, help: "Keel: an image archive on the host (`podman save` output); loaded when the named image is missing or has another ID than the archive's.") var load_path: String?
        @Option("pull", .bool, default: true, help: "Pull the image when it is missing (false: fail instead).") var pull: Bool
        @Option("pull_extra_args", .string, help: "More `podman pull` arguments.") var pull_extra_args: String?
        @Option("arch", .string, format: .word, help: "The architecture to pull; an image of another architecture counts as missing.") var arch: String?
        @Option("push", .bool, default: false, help: "Push the image (to push_args.dest, else to its own name) when the registry does not have this image ID.") var push: Bool
        @Option("push_args", .dict, help: "Push settings: dest (alias destination), transport, format, compress, remove_signatures, sign_by, extra_args.") var push_args: Value?
        @Option("auth_file", .path, aliases: ["authfile"], help: "The registry credentials file (podman login writes it).") var auth_file: String?
        @Option("username", .string, help: "Registry user (with password).") var username: String?
        @Option("password", .string, noLog: true, help: "Registry password.") var password: String?
        @Option("validate_certs", .bool, aliases: ["tlsverify", "tls_verify"], help: "Verify the registry's TLS certificate (podman's default when unset: yes).") var validate_certs: Bool?
        @Option("ca_cert_dir", .path, help: "A directory of CA certificates for the registry.") var ca_cert_dir: String?
        @Option("force", .bool, default: false, help: "present: pull, build or load again even when the image is there (reported changed every run); absent: `podman rmi --force`.") var force: Bool
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    public enum ImageState: String, OptionChoice { case present, absent, build }

    public struct State: Equatable, Sendable {
        /// `podman image inspect` of the named image, nil when it is missing.
        var image: Value?
        var contextListing: String?
        var containerfileHash: String?
        /// The image ID inside `load_path` (the archive's config digest).
        var archiveID: String?
        /// The image ID (config digest) the registry has under the push destination, nil when it has none.
        var remoteID: String?
        /// The build context on the controller, packed (only when `src` is given).
        var controllerContext: Data?

        var id: String? { PodmanImageShell.string(image, "Id") }
        var labels: [String: String] { PodmanImageShell.stringMap(PodmanImageShell.field(image, "Labels")) }
    }

    public typealias Step = PodmanImageStep

    public init() {}

    // MARK: observe

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let reference = PodmanImageReference(name: a.name, tag: a.tag)
        let build = try PodmanImageBuildSettings(a.build)
        var state = State()
        var controllerListing: String?
        if let src = a.src {
            guard let found = host.files.find(src, kind: "files") else {
                throw KeelError("src \(src): no such directory on the controller (looked in \(host.files.searchPaths.joined(separator: ", ")))")
            }
            controllerListing = try PodmanImageBuildContext.controllerListing(path: found)
            state.controllerContext = try PodmanImageBuildContext.tarball(of: found)
        }
        var sections: [(String, String)] = [("image", """
            command -v \(ShellQuote.quote(a.executable)) >/dev/null 2>&1 || { echo "\(a.executable): command not found" >&2; exit 127; }
            if \(PodmanImageShell.command(["image", "exists", reference.fullName], executable: a.executable)); then \(PodmanImageShell.command(["image", "inspect", reference.fullName], executable: a.executable)); else echo '[]'; fi
            """)]
        let building = isBuild(a, build)
        if a.state != .absent, building {
            if let path = a.path { sections.append(("context", PodmanImageBuildContext.listingScript(path: path))) }
            if let file = build.file, !isInside(file, a.path) {
                sections.append(("containerfile", "sha256sum < \(ShellQuote.quote(file)) | cut -d' ' -f1"))
            }
        }
        if a.state == .present, !building, let archive = a.load_path {
            sections.append(("archive", "tar -xOf \(ShellQuote.quote(archive)) manifest.json"))
        }
        if a.state != .absent, a.push, PodmanImagePush.canObserve(registryOptions(a)), let destination = try PodmanImagePush.destination(reference, a.push_args), destination.isRegistry {
            sections.append(("remote", PodmanImagePush.remoteScript(destination.reference, registry: registryOptions(a), executable: a.executable)))
        }
        let output = try await PodmanSections.run(sections, on: host, failure: "cannot observe image \(reference.fullName)")
        state.image = try PodmanImageShell.firstObject(output["image"] ?? "", what: "image \(reference.fullName)")
        if let arch = a.arch, let image = state.image, PodmanImageShell.string(image, "Architecture") != arch { state.image = nil }
        state.contextListing = output["context"] ?? controllerListing ?? (building ? "" : nil)
        if let hash = output["containerfile"] { state.containerfileHash = hash.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let inline = build.containerFile { state.containerfileHash = PodmanImageBuildContext.sha256(inline) }
        if let manifest = output["archive"] { state.archiveID = try PodmanImageArchive.imageID(manifest, path: a.load_path ?? "") }
        if let remote = output["remote"] { state.remoteID = PodmanImagePush.configDigest(remote) }
        return state
    }

    func isBuild(_ a: Arguments, _ build: PodmanImageBuildSettings) -> Bool {
        a.state == .build || a.path != nil || a.src != nil || build.containerFile != nil
    }

    /// Whether a Containerfile path lies inside the context (then the listing already covers it).
    func isInside(_ file: String, _ context: String?) -> Bool {
        guard let context else { return false }
        if !file.hasPrefix("/") { return true }
        return file.hasPrefix(context.hasSuffix("/") ? context : context + "/")
    }

    func registryOptions(_ a: Arguments) -> PodmanRegistryOptions {
        PodmanRegistryOptions(validateCerts: a.validate_certs, certDirectory: a.ca_cert_dir, authFile: a.auth_file,
                              username: a.username, password: a.password)
    }

    // MARK: plan

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let reference = PodmanImageReference(name: a.name, tag: a.tag)
        let build = try PodmanImageBuildSettings(a.build)
        let registry = registryOptions(a)
        var values: OrderedDictionary<String, Value> = ["name": .string(reference.fullName)]
        if let image = observed.image { values["image"] = .list([image]) } else { values["image"] = .dict([:]) }
        var changes = FieldChanges()
        var steps: [Step] = []
        let label = "image \(reference.fullName)"

        if a.state == .absent {
            guard let id = observed.id else { return .unchanged(values: values) }
            changes.compare("state", desired: "absent", observed: "present (\(id))")
            let step = Step.remove(name: reference.fullName, force: a.force, executable: a.executable)
            return Plan(steps: [step], diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
        }

        if a.username != nil, a.password == nil { throw KeelError("username needs password (registry credentials are given together)") }
        if isBuild(a, build) {
            if a.path == nil, a.src == nil, build.containerFile == nil, build.file == nil {
                throw KeelError("building \(reference.fullName) needs a context (path or src) or a Containerfile (build.file or build.container_file)")
            }
            let digest = PodmanImageBuildContext.digest(listing: observed.contextListing ?? "", containerfileHash: observed.containerfileHash,
                                                        buildArgs: build.args, target: build.target, extraArgs: build.extraArgs)
            let current = observed.labels[PodmanImageBuildContext.label]
            if observed.image == nil || a.force || current != digest {
                changes.compare("context digest", desired: digest, observed: a.force ? nil : current, requiresReplace: true)
                steps.append(.build(PodmanImageBuildStep(
                    name: reference.fullName, hostContext: a.path, controllerContext: observed.controllerContext,
                    containerFile: build.containerFile, digest: digest, flags: build.flags, registry: registry, executable: a.executable)))
            }
        } else if let archive = a.load_path {
            if observed.image == nil || a.force || observed.id != observed.archiveID {
                changes.compare("image id", desired: observed.archiveID ?? "?", observed: a.force ? nil : observed.id, requiresReplace: true)
                steps.append(.load(archive: archive, name: reference.fullName, archiveID: observed.archiveID ?? "", executable: a.executable))
            }
        } else if observed.image == nil || a.force {
            guard a.pull || observed.image != nil else {
                throw KeelError("image \(reference.fullName) is not on the host and pull is false")
            }
            changes.compare("image", desired: reference.fullName + " (pulled)", observed: observed.id.map { "present (\($0))" })
            let extra = a.pull_extra_args.map(ShellWords.split) ?? []
            steps.append(.pull(name: reference.fullName, flags: (a.arch.map { ["--arch", $0] } ?? []) + registry.flags + extra,
                               redactedFlags: (a.arch.map { ["--arch", $0] } ?? []) + registry.redactedFlags + extra, executable: a.executable))
        }

        if a.push, let destination = try PodmanImagePush.destination(reference, a.push_args) {
            let imageChanges = !steps.isEmpty
            let upToDate = destination.isRegistry && PodmanImagePush.canObserve(registry) && !imageChanges && observed.id != nil && observed.remoteID == observed.id.map(PodmanImagePush.normalizedID)
            if !upToDate {
                changes.compare("pushed to \(destination.reference)", desired: imageChanges ? "(the new image)" : observed.id.map(PodmanImagePush.normalizedID) ?? "",
                                observed: observed.remoteID)
                let flags = try PodmanImagePush.flags(a.push_args)
                steps.append(.push(name: reference.fullName, destination: destination.transportReference,
                                   flags: registry.flags + flags, redactedFlags: registry.redactedFlags + flags, executable: a.executable))
            }
        }
        guard !steps.isEmpty else { return .unchanged(values: values) }
        return Plan(steps: steps, diffs: [changes.diff(label: label)], values: values, fieldChanges: changes)
    }

    // MARK: apply

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var executable = "podman"
        var name = ""
        var actions: [Value] = []
        for step in plan.steps {
            try await step.perform(on: host)
            actions.append(.string(step.description))
            executable = step.executable
            name = step.imageName
        }
        var values: OrderedDictionary<String, Value> = ["actions": .list(actions)]
        if case .some(.remove) = plan.steps.last {
            values["image"] = .dict(["state": .string("Deleted")])
        } else if let image = try await PodmanImageShell.inspect("image", name, on: host, executable: executable) {
            values["image"] = .list([image])
        }
        return .changed(values)
    }
}
