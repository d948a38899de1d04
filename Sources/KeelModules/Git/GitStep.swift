import KeelBase
import KeelTransport

/// One change the git module makes, with everything its commands need; printed as the git commands it
/// runs, so a check run shows exactly what the real run will do.
public struct GitStep: Sendable, Codable, Equatable, CustomStringConvertible {
    public var action: Action
    /// The checkout the task manages (the step's working directory, and where `after` is read).
    public var dest: String
    public var environment: GitEnvironment

    public enum Action: Sendable, Codable, Equatable {
        /// `git ARGUMENTS` in `directory` (clone, fetch, remote set-url, reset).
        case git(directory: String, arguments: [String], doing: String)
        /// Check out the version the way ansible.builtin.git's switch_version does: a branch becomes a
        /// tracking branch reset to the remote's commit; a tag or commit a detached, forced checkout.
        case checkout(remote: String, version: String, kind: VersionKind, depth: Int?)
        case updateSubmodules(track: Bool, force: Bool)
        case verify(version: String)
        case archive(GitArchive, version: String)
    }

    public var description: String {
        switch action {
        case .git(let directory, let arguments, _): return "(cd \(directory)) git " + arguments.joined(separator: " ")
        case .checkout(_, let version, let kind, _): return "check out \(kind.rawValue) \(version) in \(dest)"
        case .updateSubmodules(let track, _): return "update submodules in \(dest)" + (track ? " to their remote branches" : "")
        case .verify(let version): return "verify the GPG signature of \(version)"
        case .archive(let archive, let version): return "archive \(version) to \(archive.path)"
        }
    }

    /// The shell script of this step (prelude included), and what a failure says.
    var script: (text: String, failure: String) {
        let q = ShellQuote.quote
        var text = environment.prelude
        switch action {
        case .git(let directory, let arguments, let doing):
            if arguments.first == "clone" { text += "mkdir -p \(q(directory))\n" }
            text += "cd \(q(directory)) && git " + arguments.map(q).joined(separator: " ") + "\n"
            return (text, doing)
        case .checkout(let remote, let version, let kind, let depth):
            text += "cd \(q(dest)) || exit 1\nr=\(q(remote)); v=\(q(version))\n"
            switch kind {
            case .head:
                text += """
                    b=$(git symbolic-ref -q --short HEAD || git symbolic-ref -q --short "refs/remotes/$r/HEAD" | sed "s|^$r/||")
                    git checkout --force "$b" && git reset --hard "$r/$b" --

                    """
            case .branch:
                if let depth {
                    text += """
                        git show-ref --verify -q "refs/heads/$v" || git fetch --depth=\(depth) "$r" "+refs/heads/$v:refs/heads/$v" "+refs/heads/$v:refs/remotes/$r/$v" || exit 1

                        """
                }
                text += """
                    if git show-ref --verify -q "refs/heads/$v"; then git checkout --force "$v" && git reset --hard "$r/$v"
                    else git checkout --track -b "$v" "$r/$v"; fi

                    """
            case .tag, .commit:
                text += "git checkout --force \"$v\"\n"
            }
            return (text, "cannot check out \(version) in \(dest)")
        case .updateSubmodules(let track, let force):
            text += "cd \(q(dest)) || exit 1\n[ -f .gitmodules ] || exit 0\ngit submodule sync && git submodule update --init --recursive"
                + (track ? " --remote" : "") + (force ? " --force" : "") + "\n"
            return (text, "cannot update the submodules of \(dest)")
        case .verify(let version):
            text += """
                cd \(q(dest)) || exit 1
                if [ "$(git cat-file -t \(q(version)) 2>/dev/null)" = tag ]; then git verify-tag \(q(version)); else git verify-commit \(q(version)); fi

                """
            return (text, "the GPG signature of \(version) does not verify")
        case .archive(let archive, let version):
            let temporary = archive.path + ".keel-new"
            text += """
                cd \(q(dest)) || exit 1
                mkdir -p "$(dirname \(q(archive.path)))"
                \(archive.command(output: temporary, version: version)) || exit 1
                if cmp -s \(q(temporary)) \(q(archive.path)); then rm -f \(q(temporary)); echo same; else mv -f \(q(temporary)) \(q(archive.path)); fi

                """
            return (text, "cannot archive \(version) to \(archive.path)")
        }
    }
}
