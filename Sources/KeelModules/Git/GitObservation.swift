import KeelBase
import KeelTransport

/// What the git module sees on the host, read in one round trip: the checkout at `dest` (if any) and,
/// when the plan needs it, the remote's refs from one `git ls-remote`. Nothing is fetched into the tree.
public struct GitObservation: Sendable, Equatable {
    public var gitInstalled = true
    public var checkout: Checkout?
    public var remote: RemoteRefs?

    /// A repository already at `dest`.
    public struct Checkout: Sendable, Equatable {
        public var head: String?
        /// The checked-out branch; nil when HEAD is detached (a tag or commit checkout).
        public var branch: String?
        public var remoteURL: String?
        /// The branch the remote's HEAD points at, as recorded at clone time (`origin/main` -> `main`).
        public var remoteHeadBranch: String?
        /// `version` resolved locally, when it names a commit the repository already has.
        public var localCommit: String?
        /// `git status --porcelain` lines of tracked files (untracked files are not modifications).
        public var modifications: [String] = []
        /// Submodules not initialised or not at the recorded (or, tracked, the remote's) commit.
        public var submodulesOutOfDate = false
        /// sha256 of the archive file there is, and of the archive the checkout would make now.
        public var archiveOnDisk: String?
        public var archiveNow: String?
    }

    /// What to read, decided from the arguments before anything runs.
    struct Request {
        var dest: String?
        var bare: Bool
        var remote: String
        var version: String
        var repo: String
        var listRemote: RemoteListing
        var submodules: Bool
        var trackSubmodules: Bool
        var archive: GitArchive?
        var environment: GitEnvironment
    }

    /// When `git ls-remote` runs.
    enum RemoteListing { case always, unlessCheckoutExists }

    static func script(_ r: Request) -> String {
        let q = ShellQuote.quote
        var s = r.environment.prelude + "found=0\n"
        let program = r.environment.gitPath.map { "[ -x \(q($0)) ]" } ?? "command -v git >/dev/null 2>&1"
        s += "\(program) || { echo nogit=1; exit 0; }\n"
        if let dest = r.dest {
            s += """
                d=\(q(dest)); r=\(q(r.remote)); v=\(q(r.version))
                if [ \(r.bare ? 1 : 0) = 1 ]; then g="$d"
                elif [ -f "$d/.git" ]; then g=$(sed -n 's/^gitdir: //p' "$d/.git"); case $g in /*) ;; *) g="$d/$g" ;; esac
                else g="$d/.git"; fi
                if [ -f "$g/config" ] && cd "$d"; then
                  echo repo=1; found=1
                  echo "head=$(git rev-parse --verify -q HEAD)"
                  echo "branch=$(git symbolic-ref -q --short HEAD)"
                  echo "url=$(git config --get "remote.$r.url")"
                  echo "remotehead=$(git symbolic-ref -q --short "refs/remotes/$r/HEAD")"
                  echo "local=$(git rev-parse --verify -q "$v^{commit}" 2>/dev/null)"

                """
            if !r.bare {
                // Tracked submodules are meant to differ from the commits the superproject records:
                // that is neither a modification nor a stale submodule (an uninitialised one still is).
                let ignore = r.trackSubmodules ? " --ignore-submodules=all" : ""
                s += "  git status --porcelain --untracked-files=no\(ignore) | sed 's/^/mod=/'\n"
                if r.submodules {
                    s += "  if [ -f .gitmodules ]; then\n"
                    s += "    git submodule status 2>/dev/null | grep -q '\(r.trackSubmodules ? "^[-U]" : "^[^ ]")' && echo submodules=stale\n"
                    if r.trackSubmodules {
                        s += "    git submodule foreach --quiet 'echo \"track=$(git rev-parse HEAD) $(git ls-remote origin HEAD | cut -f1)\"' 2>/dev/null\n"
                    }
                    s += "  fi\n"
                }
                if let archive = r.archive {
                    s += "  [ -f \(q(archive.path)) ] && echo \"archivefile=$(sha256sum < \(q(archive.path)) | cut -d' ' -f1)\"\n"
                    s += "  echo \"archivenow=$(\(archive.command(output: nil, version: "HEAD")) | sha256sum | cut -d' ' -f1)\"\n"
                }
            }
            s += "fi\ncd /\n"
        }
        if r.listRemote == .unlessCheckoutExists { s += "[ $found = 1 ] || " }
        s += "{ git ls-remote \(q(r.repo)) 2>&1; echo \"rc=$?\"; } | sed 's/^/ls=/'\n"
        return s
    }

    /// Reads the script's output; a failed `ls-remote` (unreachable server, changed host key, refused key)
    /// is an error naming the repository and quoting git.
    static func parse(_ text: String, repo: String, host: String) throws -> GitObservation {
        // ssh ends its warnings with CRLF, which Swift reads as one character, not a line break.
        let f = AccountDatabase.fields(text.replacingOccurrences(of: "\r\n", with: "\n"))
        var observation = GitObservation()
        if f["nogit"] != nil { observation.gitInstalled = false; return observation }
        if f["repo"] != nil {
            func one(_ key: String) -> String? { f[key]?.first.flatMap { $0.isEmpty ? nil : $0 } }
            var checkout = Checkout()
            checkout.head = one("head")
            checkout.branch = one("branch")
            checkout.remoteURL = one("url")
            checkout.remoteHeadBranch = one("remotehead").map { name in
                name.firstIndex(of: "/").map { String(name[name.index(after: $0)...]) } ?? name
            }
            checkout.localCommit = one("local")
            checkout.modifications = f["mod"] ?? []
            let tracked = (f["track"] ?? []).contains { line in
                let parts = line.split(separator: " ")
                return parts.count == 2 && parts[0] != parts[1]
            }
            checkout.submodulesOutOfDate = f["submodules"] != nil || tracked
            checkout.archiveOnDisk = one("archivefile")
            checkout.archiveNow = one("archivenow")
            observation.checkout = checkout
        }
        if let listing = f["ls"] {
            let status = listing.last.flatMap { $0.hasPrefix("rc=") ? Int($0.dropFirst(3)) : nil } ?? 1
            let lines = Array(listing.dropLast())
            guard status == 0 else {
                throw KeelError("\(host): cannot list the refs of \(repo) (git ls-remote exited \(status)): "
                                + lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines))
            }
            observation.remote = RemoteRefs.parse(lines)
        }
        return observation
    }
}
