import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelTemplate

/// What includes, `include_vars` and `vars_files` bring, found on disk without knowing the host: a literal
/// file, or every file a templated name could match; the analysis gives up when none does.
extension UndefinedVariables {
    /// `include_tasks`: the file's tasks, or every file a templated name could match (each one's
    /// definitions count); nothing certain when no file matches.
    mutating func followInclude(_ task: Task, _ place: Place, excused: Set<String>) {
        guard case .string(let file)? = task.args["_raw_params"] ?? task.args["file"] else {
            giveUp("include_tasks without a file at \(task.location)")
            return
        }
        var candidates = [file]
        if TemplateEngine.containsTemplate(file) {
            let directories = [task.role.map { $0.path + "/tasks" }, ControllerPath.directory(of: task.location.file), place.playDirectory]
                .compactMap { $0 }
            candidates = paths.candidates(file, in: directories).filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }
            if candidates.isEmpty || candidates.count > 50 {
                giveUp("include_tasks of '\(file)', which no file matches for certain, at \(task.location)")
                return
            }
        }
        for candidate in candidates {
            do {
                let included = try loader.loadIncludedTasks(at: candidate, includedFrom: task.location.file, playbookDirectory: place.playDirectory,
                                                            role: task.role, location: task.location)
                guard seenFiles.insert(included.file).inserted else { continue }
                for node in included.tasks { collect(node, place, excused: excused) }
            } catch {
                giveUp("include_tasks of '\(candidate)', which cannot be loaded now, at \(task.location)")
            }
        }
    }

    /// `include_role` with a literal name: the role's variables and tasks; nothing certain otherwise.
    mutating func followRole(_ task: Task, _ place: Place, excused: Set<String>) {
        guard task.args.values.allSatisfy({ !ArgumentValidator.containsTemplate($0) }),
              case .string(let name)? = task.args["name"] ?? task.args["_raw_params"] else {
            giveUp("include_role of a role known only when it runs at \(task.location)")
            return
        }
        var request = RoleRequest(name: name)
        request.tasksFrom = task.args["tasks_from"]?.stringValue
        request.varsFrom = task.args["vars_from"]?.stringValue
        request.defaultsFrom = task.args["defaults_from"]?.stringValue
        request.handlersFrom = task.args["handlers_from"]?.stringValue
        do {
            let role = try loader.loadRole(request, playbookDirectory: place.playDirectory, parentRole: task.role, location: task.location)
            collect(role, excused: excused)
            guard seenFiles.insert("role:\(role.path)|\(request.tasksFrom ?? "")|\(request.handlersFrom ?? "")").inserted else { return }
            for node in [TaskNode.block(role.runBlock)] + role.handlers { collect(node, place, excused: excused) }
        } catch {
            giveUp("include_role of '\(name)', which cannot be loaded now, at \(task.location)")
        }
    }

    /// vars_files and include_vars: the keys of the file, or of every file a templated name could match.
    mutating func defineFromFile(_ alternatives: [String], in directories: [String]) {
        var loadedAny = false
        for path in alternatives {
            let candidates: [String]
            if TemplateEngine.containsTemplate(path) {
                candidates = paths.candidates(path, in: directories)
            } else {
                candidates = path.hasPrefix("/") ? [path] : directories.flatMap { [$0 + "/" + path] }
            }
            for candidate in candidates where FileManager.default.fileExists(atPath: candidate) {
                guard let variables = try? loader.loadVariables(at: candidate) else { continue }
                define(variables.keys, by: "file " + candidate)
                loadedAny = true
            }
        }
        if !loadedAny { giveUp("variables from \(alternatives.joined(separator: " or ")), which no readable file matches") }
    }

    /// `include_vars: "{{ item }}"` under `with_first_found`: the files are the loop's terms (their
    /// `files`, joined to their `paths`), not anything `{{ item }}` could match. Nil for other loops.
    static func firstFoundTerms(_ task: Task, file: String) -> [String]? {
        let loopVariable = task.loopControl?.loopVar ?? "item"
        guard let loop = task.loop, case .with(let lookup) = loop.kind, lookup == "first_found",
              file.replacingOccurrences(of: " ", with: "") == "{{\(loopVariable)}}" else { return nil }
        func names(_ value: Value) -> [String]? {
            switch value {
            case .string(let text): return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            case .list(let items):
                var all: [String] = []
                for item in items { guard let found = names(item) else { return nil }; all += found }
                return all
            default: return nil
            }
        }
        var terms: [String] = []
        for term in loop.items.listValue ?? [loop.items] {
            if case .dict(let options) = term {
                guard let files = options["files"].flatMap(names) else { return nil }
                let paths = options["paths"].flatMap(names) ?? [""]
                for path in paths { terms += files.map { path.isEmpty || $0.hasPrefix("/") ? $0 : path + "/" + $0 } }
            } else {
                guard let found = names(term) else { return nil }
                terms += found
            }
        }
        return terms.isEmpty ? nil : terms
    }

    func searchPaths(_ task: Task, _ place: Place, subdirectory: String? = nil) -> [String] {
        var paths: [String] = []
        if let role = task.role {
            if let subdirectory { paths.append(role.path + "/" + subdirectory) }
            paths.append(role.path)
        }
        let here = ControllerPath.directory(of: task.location.file)
        for directory in [here, place.playDirectory, place.topDirectory] where !paths.contains(directory) {
            if let subdirectory { paths.append(directory + "/" + subdirectory) }
            paths.append(directory)
        }
        return paths
    }

    static func roleVariableFiles(_ rolePath: String, _ part: String, from: String?) -> [String] {
        let base = rolePath + "/" + part + "/" + (from ?? "main")
        for candidate in [base + ".yml", base + ".yaml", base + ".json", base] {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory) else { continue }
            if !isDirectory.boolValue { return [candidate] }
            let entries = (FileManager.default.enumerator(atPath: (candidate as NSString).resolvingSymlinksInPath)?.allObjects as? [String]) ?? []
            return entries.sorted().filter { AdjacentVariables.extensions.contains(where: $0.hasSuffix) }.map { candidate + "/" + $0 }
        }
        return []
    }
}
