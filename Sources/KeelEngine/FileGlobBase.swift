import Foundation
import KeelModel

/// Where a relative `with_fileglob` pattern looks, as Ansible's fileglob lookup: the pattern's directory
/// under the first search path (role, then playbook directory) that has it, in `files/` first. It was
/// globbed from keel's working directory, so the same playbook found other files (or none) depending on
/// where it was started.
enum FileGlobBase {
    static func pattern(_ pattern: String, searchPaths: [String]) -> String {
        guard !pattern.hasPrefix("/"), !searchPaths.isEmpty else { return pattern }
        let directory = pattern.contains("/") ? ControllerPath.directory(of: pattern) : ""
        let name = pattern.contains("/") ? String(pattern[pattern.index(after: pattern.lastIndex(of: "/")!)...]) : pattern
        for base in searchPaths {
            for root in [ControllerPath.join(base, "files"), base] {
                let candidate = directory.isEmpty ? root : ControllerPath.join(root, directory)
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                    return candidate + "/" + name
                }
            }
        }
        return pattern
    }
}
