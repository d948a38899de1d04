import KeelBase

/// Where the loader is while it reads a file: which file, which playbook, which role, and which files are
/// being imported (to stop import cycles).
struct LoadContext: Sendable {
    var file: String
    var playbookDirectory: String
    var role: RoleRef?
    var importChain: [String] = []
    var isHandler = false

    var directory: String { directoryOf(file) }
}

func directoryOf(_ path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    return slash == path.startIndex ? "/" : String(path[..<slash])
}

/// `base` joined with `path`, unless `path` is absolute; `.` and `..` components are resolved so that
/// locations and cycle checks see one spelling per file.
func joinPath(_ base: String, _ path: String) -> String {
    let joined = path.hasPrefix("/") ? path : (base.hasSuffix("/") ? base + path : base + "/" + path)
    var parts: [Substring] = []
    for part in joined.split(separator: "/", omittingEmptySubsequences: true) {
        if part == "." { continue }
        if part == "..", let last = parts.last, last != ".." { parts.removeLast(); continue }
        parts.append(part)
    }
    let body = parts.joined(separator: "/")
    return joined.hasPrefix("/") ? "/" + body : (body.isEmpty ? "." : body)
}
