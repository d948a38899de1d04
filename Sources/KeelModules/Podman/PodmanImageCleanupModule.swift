import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_image_cleanup` (Keel's own): keep the newest N images of each repository and remove dangling
/// images, so a host that receives a release a day does not fill its disk. Decided from one
/// `podman images --format json`: per repository the images are ordered by creation time (newest first);
/// the tags of those beyond `keep` are removed with `podman rmi REPO:TAG` (the image goes with its last
/// tag). Images a container uses are never touched.
public struct PodmanImageCleanupModule: Module {
    public static let name = "podman_image_cleanup"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Keep the newest N images per repository and remove dangling images",
        description: """
            For each repository (all of them, or those listed in `repository`), images are ordered by creation time, \
            newest first (ties by tag); the newest `keep` stay and every tag of that repository on the older ones is \
            removed (`podman rmi REPO:TAG`: an image keeps its tags in other repositories and is deleted with its last \
            tag). With dangling: true, images without any tag are removed too. An image used by a container (running or \
            not) is never removed, though it counts towards `keep`. The result lists `removed` (tags and image IDs).
            """,
        examples: """
            - name: Keep the three newest releases of the gateway, drop untagged leftovers
              podman_image_cleanup:
                repository: [localhost/gateway]
                keep: 3
            """,
        deviations: ["Keel's own module; containers.podman's podman_prune removes by filters (age, label) and cannot keep the newest N."])

    public struct Arguments: ModuleArguments {
        @Option("repository", .list(.string), help: "The repositories to clean (`localhost/app`; a name without a registry also matches localhost/NAME). All when omitted.") var repository: [String]?
        @Option("keep", .int, required: true, help: "How many images of each repository stay (the newest).") var keep: Int
        @Option("dangling", .bool, default: true, help: "Remove images that have no tag and no container.") var dangling: Bool
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    struct Image: Equatable, Sendable {
        var id: String
        var tags: [String]
        var created: Int
        var inUse: Bool
    }

    public struct State: Equatable, Sendable {
        var images: [Image]
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var references: [String]
        var executable: String

        public var description: String { "podman rmi " + references.joined(separator: " ") }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script = """
            \(PodmanImageShell.command(["images", "--format", "json"], executable: a.executable))
            echo '\(PodmanSections.marker)containers'
            \(PodmanImageShell.command(["ps", "-a", "--format", "{{.ImageID}}", "--no-trunc"], executable: a.executable))
            """
        let text = try await host.runChecked(script, failure: "cannot list images", detail: .combined).stdoutText
        let parts = text.components(separatedBy: PodmanSections.marker + "containers\n")
        let used = Set((parts.count > 1 ? parts[1] : "").split(separator: "\n").map { PodmanImagePush.normalizedID(String($0)) })
        let list = try Value.parseJSON(parts[0].trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "[]" : parts[0])
        let images = (list.listValue ?? []).compactMap { item -> Image? in
            guard let id = item["Id"]?.stringValue else { return nil }
            let tags = (item["RepoTags"]?.listValue ?? item["Names"]?.listValue ?? []).compactMap(\.stringValue)
                .filter { !$0.hasPrefix("<none>") }
            return Image(id: id, tags: tags, created: item["Created"]?.intValue ?? 0,
                         inUse: used.contains(id) || (item["Containers"]?.intValue ?? 0) > 0)
        }
        return State(images: images)
    }

    static func repository(of tag: String) -> String {
        if let colon = tag.lastIndex(of: ":"), !tag[tag.index(after: colon)...].contains("/") { return String(tag[..<colon]) }
        return tag
    }

    func wanted(_ repository: String, _ a: Arguments) -> Bool {
        guard let list = a.repository else { return true }
        return list.contains { $0 == repository || "localhost/" + $0 == repository }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        guard a.keep >= 0 else { throw KeelError("keep must be 0 or more, found \(a.keep)") }
        var byRepository: [String: [(image: Image, tags: [String])]] = [:]
        for image in observed.images {
            var tagsByRepository: [String: [String]] = [:]
            for tag in image.tags { tagsByRepository[Self.repository(of: tag), default: []].append(tag) }
            for (repository, tags) in tagsByRepository where wanted(repository, a) {
                byRepository[repository, default: []].append((image, tags.sorted()))
            }
        }
        var removals: [String] = []
        for repository in byRepository.keys.sorted() {
            let images = byRepository[repository]!.sorted {
                $0.image.created != $1.image.created ? $0.image.created > $1.image.created : $0.tags.last ?? "" > $1.tags.last ?? ""
            }
            for entry in images.dropFirst(a.keep) where !entry.image.inUse { removals += entry.tags }
        }
        if a.dangling {
            removals += observed.images.filter { $0.tags.isEmpty && !$0.inUse }.map(\.id).sorted()
        }
        let values: OrderedDictionary<String, Value> = ["removed": .list(removals.map(Value.string))]
        guard !removals.isEmpty else { return .unchanged(values: values) }
        let diff = Diff(label: "images", before: removals.map { $0 + "\n" }.joined(), after: "")
        return Plan(steps: [Step(references: removals, executable: a.executable)], diffs: [diff], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            try await PodmanImageShell.run(["rmi"] + step.references, on: host, failure: "cannot remove old images", executable: step.executable)
        }
        return .changed()
    }
}
