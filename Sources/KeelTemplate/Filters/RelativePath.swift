import Foundation

/// Python's `os.path.relpath`: `path` relative to `start` (the current directory by default), both made
/// absolute and normalized first; the filesystem is not consulted (symbolic links are not resolved).
enum RelativePath {
    static func relative(_ path: String, to start: String?) -> String {
        let current = FileManager.default.currentDirectoryPath
        func components(_ p: String) -> [String] {
            let absolute = p.hasPrefix("/") ? p : current + "/" + p
            var parts: [String] = []
            for part in absolute.split(separator: "/") {
                switch part {
                case ".": continue
                case "..": if !parts.isEmpty { parts.removeLast() }
                default: parts.append(String(part))
                }
            }
            return parts
        }
        let target = components(path), base = components(start ?? current)
        var common = 0
        while common < min(target.count, base.count), target[common] == base[common] { common += 1 }
        let parts = Array(repeating: "..", count: base.count - common) + target[common...]
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }
}
