import KeelTransport

/// One change the release module makes, with all its data (absolute paths), printed as what it does.
public enum ReleaseStep: Sendable, Codable, Equatable, CustomStringConvertible {
    case makeDirectories([String])
    /// Each shared item of the release (`link`, inside it) becomes a symlink to `target` in PATH/shared;
    /// whatever the checkout had there is replaced. `directories` are created in shared when missing.
    case linkShared(release: String, links: [SharedLink])
    /// The command, run inside the release; a failure stops the plan before the switch.
    case validate(release: String, command: String)
    /// `current` -> releases/ID, by renaming a new link over the old one (rename(2) is atomic: a reader
    /// sees the old release or the new one, never a missing link), then the history line.
    case switchCurrent(path: String, release: String, action: String)
    case removeReleases(path: String, releases: [String])

    public struct SharedLink: Sendable, Codable, Equatable {
        public var link: String
        public var target: String
        public var directory: Bool
    }

    public var description: String {
        switch self {
        case .makeDirectories(let paths): return "create " + paths.joined(separator: ", ")
        case .linkShared(let release, let links): return "link into \(release): " + links.map { "\($0.link) -> \($0.target)" }.joined(separator: ", ")
        case .validate(let release, let command): return "validate in \(release): \(command)"
        case .switchCurrent(let path, let release, let action): return "\(action): \(path)/current -> releases/\(release)"
        case .removeReleases(let path, let releases): return "remove \(releases.map { "\(path)/releases/\($0)" }.joined(separator: ", "))"
        }
    }

    var script: String {
        let q = ShellQuote.quote
        switch self {
        case .makeDirectories(let paths):
            return "mkdir -p -- " + paths.map(q).joined(separator: " ") + "\n"
        case .linkShared(let release, let links):
            var s = "[ -d \(q(release)) ] || { echo \"the release \(release) does not exist: check it out there first\" >&2; exit 1; }\n"
            for link in links {
                if link.directory { s += "mkdir -p -- \(q(link.target))\n" }
                else { s += "[ -e \(q(link.target)) ] || { echo \"the shared file \(link.target) does not exist: put it there before the switch\" >&2; exit 1; }\n" }
                // A temporary link renamed over the entry: a release already serving never loses the path.
                s += """
                    mkdir -p -- "$(dirname -- \(q(link.link)))"
                    if [ -d \(q(link.link)) ] && [ ! -L \(q(link.link)) ]; then rm -rf -- \(q(link.link)); fi
                    ln -s -- \(q(link.target)) \(q(link.link)).keel-new && mv -T -- \(q(link.link)).keel-new \(q(link.link))

                    """
            }
            return s
        case .validate(let release, let command):
            return "cd \(q(release)) && \(command)\n"
        case .switchCurrent(let path, let release, let action):
            return """
                cd \(q(path)) || exit 1
                [ -d releases/\(q(release)) ] || { echo "the release \(release) does not exist in \(path)/releases" >&2; exit 1; }
                rm -f .current.keel-new
                ln -s releases/\(q(release)) .current.keel-new && mv -T .current.keel-new current || exit 1
                printf '%s %s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \(q(action)) \(q(release)) >> history

                """
        case .removeReleases(let path, let releases):
            return "cd \(q(path))/releases && rm -rf -- " + releases.map(q).joined(separator: " ") + "\n"
        }
    }
}
