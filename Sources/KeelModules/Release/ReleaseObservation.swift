import KeelBase
import KeelTransport

/// What the release module sees under PATH, read in one round trip: which layout directories exist,
/// where `current` points, the releases there are, the history, and (for the release the task names)
/// whether it exists and where its shared links point.
public struct ReleaseObservation: Sendable, Equatable {
    public var missingDirectories: [String] = []
    /// The release `current` points at (the last component of the link's target).
    public var current: String?
    /// `current` exists but is not a symlink: the module refuses to replace it.
    public var currentIsNotALink = false
    public var releases: [String] = []
    public var history = ReleaseHistory(entries: [])
    public var releaseExists = false
    /// Shared item (relative path) -> where the release's entry points now (nil: not a symlink).
    public var links: [String: String] = [:]
    /// Shared items that exist in PATH/shared.
    public var sharedPresent: Set<String> = []

    static func script(path: String, release: String?, shared: [String]) -> String {
        let q = ShellQuote.quote
        var s = """
            p=\(q(path))
            for d in "$p" "$p/releases" "$p/shared"; do [ -d "$d" ] || echo "missing=$d"; done
            if [ -L "$p/current" ]; then echo "current=$(readlink "$p/current")"; elif [ -e "$p/current" ]; then echo notlink=1; fi
            if [ -d "$p/releases" ]; then for r in "$p/releases"/*; do [ -d "$r" ] && echo "release=${r##*/}"; done; fi
            [ -f "$p/history" ] && sed 's/^/history=/' "$p/history"

            """
        if let release {
            s += "id=\(q(release))\n[ -d \"$p/releases/$id\" ] && echo target=1\n"
            for item in shared {
                s += "i=\(q(item)); printf 'link=%s\\t%s\\n' \"$i\" \"$(readlink \"$p/releases/$id/$i\" 2>/dev/null)\"; [ -e \"$p/shared/$i\" ] && echo \"present=$i\"\n"
            }
        }
        return s + "true\n"
    }

    static func parse(_ text: String) -> ReleaseObservation {
        let f = AccountDatabase.fields(text)
        var o = ReleaseObservation()
        o.missingDirectories = f["missing"] ?? []
        o.current = f["current"]?.first.flatMap { target in target.split(separator: "/").last.map(String.init) }
        o.currentIsNotALink = f["notlink"] != nil
        o.releases = (f["release"] ?? []).sorted()
        o.history = ReleaseHistory(text: (f["history"] ?? []).joined(separator: "\n"))
        o.releaseExists = f["target"] != nil
        for line in f["link"] ?? [] {
            let parts = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 2, !parts[1].isEmpty { o.links[parts[0]] = parts[1] }
        }
        o.sharedPresent = Set(f["present"] ?? [])
        return o
    }
}
