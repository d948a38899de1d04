/// An image name as containers.podman reads `name` and `tag`: `repo`, `repo:tag`, `repo@sha256:...`;
/// a tag or digest inside `name` wins over the `tag` option (which defaults to latest).
struct PodmanImageReference: Sendable, Equatable, Codable {
    /// The repository part (`registry:5000/app`, `localhost/app`, `app`).
    var repository: String
    /// The tag, or the digest (`sha256:...`).
    var tag: String

    init(name: String, tag defaultTag: String) {
        if let at = name.lastIndex(of: "@") {
            repository = String(name[..<at])
            tag = String(name[name.index(after: at)...])
            return
        }
        if let colon = name.lastIndex(of: ":"), !name[name.index(after: colon)...].contains("/") {
            repository = String(name[..<colon])
            tag = String(name[name.index(after: colon)...])
            return
        }
        repository = name
        tag = defaultTag
    }

    var isDigest: Bool { tag.hasPrefix("sha256:") }

    /// `repo:tag` or `repo@sha256:...`, as podman takes it.
    var fullName: String { repository + (isDigest ? "@" : ":") + tag }
}
