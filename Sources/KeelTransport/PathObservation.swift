import Foundation

/// The observation of one path that most file tasks start with (file, copy, template, lineinfile, ...):
/// its type, permissions, ownership and size, its link target, and for a regular file its content (when
/// small) or SHA-256. It is written once here as a script, and can also be answered in bulk: the engine's
/// lookahead sends many of them in one batch, where each would start a subshell, a `stat` and a `cat`
/// (about 3 ms of the host's CPU per task, most of a converged run's work on the host); in bulk one `stat`
/// covers every path and one `cat` every small file, and the controller cuts each request's answer out of
/// them, byte for byte what its own script prints (PathObservationBulk).
///
/// The output of `script`: one line `kind|mode|owner|group|size|uid|gid` (or `absent`), then the link
/// target (or an empty line), then, for a regular file, `content` and its bytes when asked for and no larger
/// than the limit, or else `sha256 <digest>` when asked for. Before it, what `locate` prints.
public struct PathObservation: Hashable, Sendable {
    /// How the observed path is found on the host.
    public enum Locate: Hashable, Sendable {
        /// This path, as it is.
        case path(String)
        /// This path, or the existing target a symbolic link at it points to (file's `follow`): a followed
        /// link prints `KEEL_FOLLOWED <target>` first.
        case following(String)
        /// Where copy and template put a file: `dest`, or `dest/<name>` when dest ends in / or is an
        /// existing directory (not a link to one), as Ansible decides it; the path is printed first.
        case destination(dest: String, name: String)
    }

    public var locate: Locate
    public var checksum: Bool
    public var contentLimit: Int

    public init(_ locate: Locate, checksum: Bool, contentLimit: Int) {
        self.locate = locate
        self.checksum = checksum
        self.contentLimit = contentLimit
    }

    /// The script that observes this path on its own. Remembered (PathObservation.known), so a batch of
    /// reads can recognise it and answer it in bulk.
    public var script: String {
        let text = locateScript + "\n" + Self.observationScript(shellWord: "\"$p\"", checksum: checksum, contentLimit: contentLimit)
        if Self.bulkable(locate) { Self.remember(text, as: self) }
        return text
    }

    private var locateScript: String {
        switch locate {
        case .path(let path):
            return "p=\(ShellQuote.quote(path))"
        case .following(let path):
            return "p=\(ShellQuote.quote(path)); if [ -L \"$p\" ] && [ -e \"$p\" ]; then p=$(readlink -f -- \"$p\"); echo \"KEEL_FOLLOWED $p\"; fi"
        case .destination(let dest, let name):
            let quotedName = ShellQuote.quote(name)
            return """
                p=\(ShellQuote.quote(dest))
                case "$p" in */) p="$p"\(quotedName);; *) if [ -d "$p" ] && [ ! -L "$p" ] && [ -n \(quotedName) ]; then p="$p/"\(quotedName); fi;; esac
                echo "$p"
                """
        }
    }

    /// The observation of the path in `$p`-like shell word `p` (a snippet bigger scripts use too). Every
    /// observation of a converged host runs this, so it spends as few processes as it can: one `stat`,
    /// then one `cat` or `sha256sum`; the checksum of content that travels anyway is computed on the controller.
    public static func observationScript(shellWord p: String, checksum: Bool, contentLimit: Int) -> String {
        let regularFile: String
        switch (contentLimit > 0, checksum) {
        case (true, _):
            regularFile = """
                  set -f; IFS='|'; set -- $s; unset IFS; set +f
                  if [ "$4" -le \(contentLimit) ] 2>/dev/null; then echo content; cat -- "$p"
                  elif [ \(checksum ? 1 : 0) = 1 ]; then printf 'sha256 '; sha256sum < "$p"; fi
            """
        case (false, true):
            regularFile = "      printf 'sha256 '; sha256sum < \"$p\""
        case (false, false):
            regularFile = "      :"
        }
        return """
            p=\(p)
            if [ -L "$p" ]; then k=link; elif [ -d "$p" ]; then k=directory; elif [ -f "$p" ]; then k=file; elif [ -e "$p" ]; then k=other; else k=absent; fi
            if [ "$k" = absent ]; then echo absent; else
              s=$(stat -c '%a|%U|%G|%s|%u|%g' -- "$p")
              printf '%s|%s\\n' "$k" "$s"
              if [ "$k" = link ]; then readlink -- "$p"; else echo; fi
              if [ "$k" = file ]; then
            \(regularFile)
              fi
            fi
            """
    }

    // MARK: Recognising a script in a batch

    /// Scripts made by `script` lately, so a batch (which sees only scripts) knows which it may answer in
    /// bulk. Bounded: a script no longer remembered simply runs on its own.
    private static let known = RememberedScripts<PathObservation>(most: 4096)

    private static func remember(_ script: String, as observation: PathObservation) {
        known.remember(script, as: observation)
    }

    /// The observation a script was made for, when it is one of `script`'s.
    public static func recognise(_ script: String) -> PathObservation? {
        known.recognise(script)
    }

    /// A path the bulk answer's line-based output can carry (no newline): other ones run their own script.
    private static func bulkable(_ locate: Locate) -> Bool {
        switch locate {
        case .path(let path), .following(let path): return !path.contains("\n")
        case .destination(let dest, let name): return !dest.contains("\n") && !name.contains("\n")
        }
    }
}
