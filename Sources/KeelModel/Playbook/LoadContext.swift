import KeelBase
import OrderedCollections

/// Where the loader is while it reads a file: which file, which playbook, which role, and which files are
/// being imported (to stop import cycles).
struct LoadContext: Sendable {
    var file: String
    var playbookDirectory: String
    var role: RoleRef?
    var importChain: [String] = []
    var isHandler = false
    /// Variables known at load time (play vars, import vars), for names of static imports.
    var staticVars = OrderedDictionary<String, Value>()

    var directory: String { directoryOf(file) }
}

extension PlaybookLoader {
    /// A name a static import needs now: literal, or rendered through `renderStaticName`.
    func staticName(_ text: String, _ ctx: LoadContext, at location: SourceLocation, what: String,
                    alternative: String) throws -> String {
        guard NodeReader.isTemplate(text) else { return text }
        guard let render = options.renderStaticName else {
            throw KeelError("\(what) cannot be a template when no variables are available at load time",
                            at: location, expected: "a literal name, or '\(alternative)' to choose it at run time",
                            found: "'\(text)'")
        }
        do {
            return try render(text, ctx.staticVars, location)
        } catch let error as KeelError {
            throw error.located(at: location)
        }
    }
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
