import KeelBase

/// The image inside a `podman save` (docker-archive) file: manifest.json names its config blob
/// (`<image id>.json`), and the config's digest is the image ID podman gives the loaded image.
enum PodmanImageArchive {
    static func imageID(_ manifest: String, path: String) throws -> String {
        let parsed = try? Value.parseJSON(manifest.trimmingCharacters(in: .whitespacesAndNewlines))
        guard let config = parsed?.listValue?.first?["Config"]?.stringValue else {
            throw KeelError("\(path) is not an image archive of `podman save` (docker-archive): its manifest.json has no Config, found \(manifest.prefix(200))")
        }
        var id = config.hasSuffix(".json") ? String(config.dropLast(5)) : config
        if id.hasPrefix("sha256:") { id = String(id.dropFirst(7)) }
        return id
    }
}
