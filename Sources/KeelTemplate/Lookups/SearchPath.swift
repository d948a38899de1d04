import Foundation

/// Ansible's `path_dwim_relative_stack`: where a lookup finds a relative file name. For each search path
/// (a role directory, the task file's directory): `<path>/<subdir>/<name>` then `<path>/<name>`; for a
/// role's tasks directory also the role's `<subdir>` and the tasks directory itself; finally the same two
/// below the playbook's directory. A name that already starts with the subdirectory is not given it twice.
/// Absolute names and `~` names are used as they are.
enum SearchPath {
    static func candidates(_ needle: String, in subdirectory: String, paths: [String], base: String) -> [String] {
        if needle.hasPrefix("/") || needle.hasPrefix("~") { return [expandHome(needle)] }
        let namesSubdirectory = needle.split(separator: "/", omittingEmptySubsequences: false).first.map(String.init) == subdirectory
        var search: [String] = []
        for path in paths {
            // A search path inside a role's tasks directory also looks in the role's subdirectory.
            let parent = (path as NSString).deletingLastPathComponent
            if parent.hasSuffix("/tasks") {
                search.append(join((parent as NSString).deletingLastPathComponent, subdirectory, needle))
                search.append(join(parent, needle))
            }
            if !namesSubdirectory { search.append(join(path, subdirectory, needle)) }
            search.append(join(path, needle))
        }
        if !namesSubdirectory { search.append(join(base, subdirectory, needle)) }
        search.append(join(base, needle))
        var seen = Set<String>()
        return search.filter { seen.insert($0).inserted }
    }

    static func find(_ needle: String, in subdirectory: String, paths: [String], base: String) -> String? {
        candidates(needle, in: subdirectory, paths: paths, base: base).first { FileManager.default.fileExists(atPath: $0) }
    }

    static func join(_ parts: String...) -> String {
        var result = ""
        for part in parts where !part.isEmpty {
            if part.hasPrefix("/") || result.isEmpty { result = part } else { result += (result.hasSuffix("/") ? "" : "/") + part }
        }
        return (result as NSString).standardizingPath
    }

    static func expandHome(_ path: String) -> String { (path as NSString).expandingTildeInPath }
}
