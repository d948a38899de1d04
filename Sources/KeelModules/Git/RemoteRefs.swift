/// What one `git ls-remote REPO` says: the commit of HEAD, each branch and each tag (annotated tags
/// peeled to their commit). One listing answers every question the plan asks about the remote (is the
/// version a branch, a tag, which commit is it), so check mode costs one round trip to the git server.
public struct RemoteRefs: Sendable, Equatable {
    public var head: String?
    public var branches: [String: String] = [:]
    public var tags: [String: String] = [:]

    public init(head: String? = nil, branches: [String: String] = [:], tags: [String: String] = [:]) {
        self.head = head
        self.branches = branches
        self.tags = tags
    }

    /// Parses `SHA<TAB>REF` lines; `refs/tags/X^{}` (the commit an annotated tag points at) wins over the
    /// tag object's own id, which is what a checkout of the tag ends up on.
    public static func parse(_ lines: [String]) -> RemoteRefs {
        var refs = RemoteRefs()
        var peeled: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: "\t", maxSplits: 1).map(String.init)
            guard parts.count == 2, parts[0].count >= 40 else { continue }
            let (sha, name) = (parts[0], parts[1])
            if name == "HEAD" { refs.head = sha }
            else if name.hasPrefix("refs/heads/") { refs.branches[String(name.dropFirst("refs/heads/".count))] = sha }
            else if name.hasPrefix("refs/tags/"), name.hasSuffix("^{}") {
                peeled[String(name.dropFirst("refs/tags/".count).dropLast(3))] = sha
            } else if name.hasPrefix("refs/tags/") { refs.tags[String(name.dropFirst("refs/tags/".count))] = sha }
        }
        refs.tags.merge(peeled) { $1 }
        return refs
    }
}

/// What `version` names, decided the way ansible.builtin.git decides it: a remote branch first, then a
/// tag, else a commit id (which cannot be looked up on a remote, so it is taken as given).
public enum VersionKind: String, Sendable, Codable, Equatable {
    case head, branch, tag, commit
}

/// Hexadecimal text of a plausible commit id length (abbreviated or full).
func looksLikeCommitID(_ text: String) -> Bool {
    text.count >= 4 && text.count <= 64 && text.allSatisfy(\.isHexDigit)
}
