import Foundation
import KeelBase
import KeelTransport

/// What community.general.archive puts into an archive, worked out as its Python does: `path` globs
/// expanded on the host (only paths with * or ? are globs), `exclude_path` taken away, the rest sorted; the
/// archive root is their common parent; a directory contributes what os.walk lists below it (each
/// directory's subdirectories, then its files; the directory itself is not a member), a file itself.
struct ArchiveSources: Sendable, Equatable {
    var expandedPaths: [String]
    var expandedExcludes: [String]
    var hadGlobs: Bool
    /// Sorted, without the excluded.
    var paths: [String] { Array(Set(expandedPaths).subtracting(expandedExcludes)).sorted() }

    /// A shell word that expands `pattern`'s * ? [ ] as a glob and keeps everything else literal.
    static func globWord(_ pattern: String) -> String {
        var out = ""
        for c in pattern {
            if c == "*" || c == "?" || c == "[" || c == "]" || (c.isASCII && (c.isLetter || c.isNumber)) || "/._-,+=:@%".contains(c) {
                out.append(c)
            } else if c == "\n" { out += "'\n'" } else { out += "\\\(c)" }
        }
        return out
    }

    static func isGlob(_ path: String) -> Bool { path.contains("*") || path.contains("?") }

    /// Script lines printing `tag\0path\0` for each expanded path (a glob matching nothing gives nothing).
    static func expansionScript(_ paths: [String], tag: String) -> [String] {
        paths.map { path in
            isGlob(path)
                ? "for f in \(globWord(path)); do if [ -e \"$f\" ] || [ -L \"$f\" ]; then printf '\(tag)\\0%s\\0' \"$f\"; fi; done"
                : "printf '\(tag)\\0%s\\0' \(ShellQuote.quote(path))"
        }
    }

    /// Python's common_path: the directory all paths' parents share, with a trailing slash.
    static func commonRoot(_ paths: [String]) -> String {
        func join(_ p: String) -> String { p.isEmpty || p.hasSuffix("/") ? p : p + "/" }
        let parents = paths.map { join(dirname($0)) }
        guard var prefix = parents.first else { return "" }
        for p in parents.dropFirst() {
            var common = ""
            for (a, b) in zip(prefix, p) { if a == b { common.append(a) } else { break } }
            prefix = common
        }
        return join(dirname(prefix))
    }

    /// Python's os.path.dirname.
    static func dirname(_ s: String) -> String {
        guard let slash = s.lastIndex(of: "/") else { return "" }
        let head = String(s[...slash])
        if head.allSatisfy({ $0 == "/" }) { return head }
        var trimmed = head
        while trimmed.hasSuffix("/") { trimmed.removeLast() }
        return trimmed
    }
}
