import Foundation
import KeelBase
import KeelModel
import KeelModules
import OrderedCollections

/// What control actions (debug, set_fact, assert, include_vars, ...) see of the engine.
struct EngineControlContext: ControlContext {
    let scope: VariableScope
    let host: String
    let run: RunContext
    let play: PlayScope
    let entry: TaskEntry

    var hostName: String { host }
    var verbosity: Int { run.options.verbosity }

    func variable(_ name: String) throws -> Value? { try scope.lookup(name) }

    func evaluate(_ expression: String) throws -> Value {
        try scope.templates.evaluate(expression: expression, context: scope, origin: entry.task.argsLocation)
    }

    func isTrue(_ expression: String) throws -> Bool {
        try scope.evaluate(Conditional(expression, at: entry.task.argsLocation))
    }

    func loadVariables(_ path: String) throws -> OrderedDictionary<String, Value> {
        var candidates: [String] = []
        if path.hasPrefix("/") { candidates = [path] } else {
            if let role = entry.role { candidates.append(role.path + "/vars/" + path) }
            // The task's file may be a bare name ("tasks.yml", run from its directory): its directory is ".".
            let taskDirectory = ControllerPath.directory(of: entry.task.location.file)
            candidates.append(ControllerPath.join(taskDirectory, "vars/" + path))
            candidates.append(ControllerPath.join(taskDirectory, path))
            candidates.append(ControllerPath.join(play.playbookDirectory, "vars/" + path))
            candidates.append(ControllerPath.join(play.playbookDirectory, path))
        }
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
            throw KeelError("could not find variables file '\(path)'", at: entry.task.argsLocation,
                            expected: "one of: \(candidates.joined(separator: ", "))")
        }
        return try run.loader.loadVariables(at: found)
    }
}
