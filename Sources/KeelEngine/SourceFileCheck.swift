import KeelBase
import KeelModel
import KeelModules

/// A literal controller-side source (copy's or template's `src:`, as the module's spec declares it) that is
/// nowhere on the controller: found when the playbook is loaded, at the task's location, rather than when
/// the task finally runs (maybe after an hour of other changes, or never in a test run that skips it).
enum SourceFileCheck {
    static func problem(_ task: Task, spec: ArgumentSpec, searchPaths: [String]) -> KeelError? {
        guard let source = spec.controllerSource, case .string(let src)? = task.args[source.option], !src.isEmpty,
              !ArgumentValidator.containsTemplate(.string(src)) else { return nil }
        if let unless = source.unless {
            if let remote = task.args[unless] {
                // Only a literal false means the controller; a template may turn out true.
                guard remote.ansibleBool == false else { return nil }
            } else if source.unlessByDefault {
                return nil
            }
        }
        let files = ControllerFiles(searchPaths: searchPaths)
        if files.find(src, kind: source.kind) != nil { return nil }
        let candidates = src.hasPrefix("/") ? [src] : searchPaths.flatMap { ["\($0)/\(source.kind)/\(src)", "\($0)/\(src)"] }
        return KeelError("\(task.writtenAction): src '\(src)' not found on the controller",
                         at: task.argLocations[source.option] ?? task.argsLocation,
                         expected: "a file at one of: \(candidates.joined(separator: ", "))", found: "no such file")
    }
}
