import KeelBase
import KeelModel
import KeelModules

/// `copy`/`template` with a literal `src:` that is nowhere on the controller: found when the playbook is
/// loaded, at the task's location, rather than when the task finally runs (maybe after an hour of
/// other changes, or never in a test run that skips it).
enum SourceFileCheck {
    /// The module and the folder of a role or playbook directory its `src:` is looked up in first.
    static let kinds = ["copy": "files", "template": "templates"]

    static func problem(_ task: Task, searchPaths: [String]) -> KeelError? {
        guard let kind = kinds[task.action], case .string(let src)? = task.args["src"], !src.isEmpty,
              !ArgumentValidator.containsTemplate(.string(src)) else { return nil }
        if task.action == "copy", let remote = task.args["remote_src"] {
            // Only a literal "no" means the controller; a template may turn out true.
            guard [.bool(false), .string("no"), .string("false"), .string("False"), .int(0)].contains(remote) else { return nil }
        }
        let files = ControllerFiles(searchPaths: searchPaths)
        if files.find(src, kind: kind) != nil { return nil }
        let candidates = src.hasPrefix("/") ? [src] : searchPaths.flatMap { ["\($0)/\(kind)/\(src)", "\($0)/\(src)"] }
        return KeelError("\(task.writtenAction): src '\(src)' not found on the controller",
                         at: task.argLocations["src"] ?? task.argsLocation,
                         expected: "a file at one of: \(candidates.joined(separator: ", "))", found: "no such file")
    }
}
