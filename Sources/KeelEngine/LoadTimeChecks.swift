import Foundation
import KeelBase
import KeelModel
import KeelTemplate
import KeelModules
import OrderedCollections

/// Checks every task Keel can see before any host is contacted: each play's tasks, blocks with their
/// rescue and always, handlers, roles, imported files, and the files of `include_tasks`/`include_role`
/// when their names are literal (Ansible reads those only when the include runs; Keel reads them now
/// when it can find them without variables). A task that never runs (`when: false`, a handler never
/// notified) is checked too: a typo must not wait for the day the task finally runs.
struct LoadTimeChecks {
    let registry: ModuleRegistry
    let loader: PlaybookLoader
    let templates: TemplateEngine
    private(set) var problems: [KeelError] = []
    /// Problems inside files that `include_tasks`/`include_role` load: Ansible reads those only when the
    /// include runs, so a role's tasks for another OS (`include_tasks: setup-Suse.yml` with a `when`, using
    /// modules Keel lacks) must not stop the run. They are reported as warnings; the include fails if it runs.
    /// So is a task using a module from its role's library/ (Ansible knows it; Keel cannot run it).
    private(set) var deferred: [KeelError] = []
    /// How many dynamic includes deep the task being checked is.
    private var dynamicDepth = 0
    /// Included files and roles already checked (an include may name itself; checking once is enough).
    private var seen = Set<String>()

    init(registry: ModuleRegistry, loader: PlaybookLoader, templates: TemplateEngine) {
        self.registry = registry
        self.loader = loader
        self.templates = templates
    }

    /// Every problem of every play, in the order the tasks were written, and apart those found only in
    /// dynamically included files.
    static func problems(in playbooks: [Playbook], registry: ModuleRegistry, loader: PlaybookLoader,
                         templates: TemplateEngine) -> (problems: [KeelError], deferred: [KeelError]) {
        var checks = LoadTimeChecks(registry: registry, loader: loader, templates: templates)
        for playbook in playbooks {
            let topDirectory = ControllerPath.directory(of: playbook.path)
            for play in playbook.plays { checks.check(play, topDirectory: topDirectory) }
        }
        return (checks.problems, checks.deferred)
    }

    private mutating func report(_ found: [KeelError]) {
        if dynamicDepth > 0 { deferred += found } else { problems += found }
    }

    /// Runs `body` one dynamic include deeper; what the loader records meanwhile is deferred too.
    private mutating func insideDynamicInclude(_ body: (inout LoadTimeChecks) -> Void) {
        let mark = loader.options.problemLog?.count ?? 0
        dynamicDepth += 1
        body(&self)
        dynamicDepth -= 1
        deferred += loader.options.problemLog?.take(from: mark) ?? []
    }

    mutating func check(_ play: Play, topDirectory: String) {
        let place = Place(playDirectory: play.playbookDirectory, topDirectory: topDirectory)
        let nodes = play.preTasks + play.roleRuns.map { .block($0.taskBlock) } + play.tasks + play.postTasks
        for node in nodes { check(node, place) }
        var handlers = place
        handlers.isHandler = true
        for node in play.allHandlers { check(node, handlers) }
    }

    /// Where relative names resolve: the play's file's directory (Ansible's basedir) and the top playbook's;
    /// and whether the tasks are handlers (an included handler file may use `listen`).
    struct Place {
        var playDirectory: String
        var topDirectory: String
        var isHandler = false
    }

    mutating func check(_ node: TaskNode, _ place: Place) {
        switch node {
        case .block(let block):
            for inner in block.block + block.rescue + block.always { check(inner, place) }
        case .task(let task):
            check(task, place)
        }
    }

    mutating func check(_ task: Task, _ place: Place) {
        if let loop = task.loop, case .with(let lookup) = loop.kind, !templates.hasLookup(lookup) {
            report([KeelError("with_\(lookup): no lookup plugin named '\(lookup)'", at: loop.location,
                              expected: "with_ and one of the lookups in docs/lookups.md", found: "with_\(lookup)")])
        }
        switch task.action {
        case "include_tasks": insideDynamicInclude { $0.followInclude(task, place) }
        case "include_role": insideDynamicInclude { $0.followRole(task, place) }
        default:
            if let control = registry.control(for: task.action) {
                // debug, assert, fail, pause, include_vars, ...: the same checks, except for set_fact-like
                // actions whose keys are variable names.
                if !control.acceptsAnyArguments {
                    report(ArgumentCheck.problems(task, name: control.name, spec: control.spec) { arguments, location in
                        _ = try ArgumentValidator(module: control.name, spec: control.spec).validate(arguments, at: location)
                    })
                }
                checkExpressions(task, arguments: control.unrenderedArguments)
                return
            }
            guard let runner = registry.runner(for: task.action) else {
                if let role = task.role, let file = RoleLibrary.module(task.action, in: role.path) {
                    deferred.append(KeelError("module '\(task.writtenAction)' is the role's own (\(file)); Keel does not run Ansible's Python modules",
                                              at: task.location, expected: "a module Keel has (keel doc), or a `when` that keeps this task from running"))
                }
                return
            }
            report(ArgumentCheck.problems(task, name: runner.name, spec: runner.spec, validate: runner.validate))
            if let missing = SourceFileCheck.problem(task, spec: runner.spec, searchPaths: searchPaths(task, place)) { report([missing]) }
        }
    }

    /// Arguments an action evaluates as Jinja2 expressions itself (assert's `that`, debug's `var`) are not
    /// templates the loader sees, so their lookups, filters and tests are checked here, as `{{ expression }}`.
    private mutating func checkExpressions(_ task: Task, arguments: Set<String>) {
        for key in arguments.sorted() {
            guard let value = task.args[key] else { continue }
            let expressions: [String]
            switch value {
            case .string(let text): expressions = [text]
            case .list(let items): expressions = items.compactMap(\.stringValue)
            default: expressions = []
            }
            let location = task.argLocations[key] ?? task.argsLocation
            for expression in expressions {
                let text = ArgumentValidator.containsTemplate(.string(expression)) ? expression : "{{ \(expression) }}"
                do {
                    try templates.check(text, origin: location)
                } catch let error as KeelError {
                    report([error])
                } catch {
                    report([KeelError("\(error)", at: location)])
                }
            }
        }
    }

    /// The controller directories a task's `src:` is looked up in, as the engine hands them to modules.
    private func searchPaths(_ task: Task, _ place: Place) -> [String] {
        var paths: [String] = []
        if let role = task.role { paths.append(role.path) }
        paths.append(place.playDirectory)
        if place.topDirectory != place.playDirectory { paths.append(place.topDirectory) }
        return paths
    }

    /// `include_tasks: file.yml` with a literal name that can be found now: its tasks are checked too.
    /// A name with variables, or a file that is not there (yet), is left to run time.
    fileprivate mutating func followInclude(_ task: Task, _ place: Place) {
        guard case .string(let file)? = task.args["_raw_params"] ?? task.args["file"],
              !ArgumentValidator.containsTemplate(.string(file)) else { return }
        let loader = self.loader
        guard let included = loadNow(task, {
            try loader.loadIncludedTasks(at: file, includedFrom: task.location.file, playbookDirectory: place.playDirectory,
                                         role: task.role, isHandler: place.isHandler, location: task.location)
        }) else { return }
        guard seen.insert("tasks:" + included.file).inserted else { return }
        for node in included.tasks { check(node, place) }
    }

    /// What an include names, loaded now; nil when it is not there yet (maybe made by an earlier task: the
    /// include reports it if it runs) or when loading found a problem, which is recorded.
    private mutating func loadNow<T>(_ task: Task, _ load: () throws -> T) -> T? {
        do {
            return try load()
        } catch let error as KeelError where error.location == task.location && error.message.contains("not found") {
            return nil
        } catch let error as KeelError {
            report([error])
        } catch {
            report([KeelError("\(error)", at: task.location)])
        }
        return nil
    }

    /// `include_role: {name: x}` with literal names: the role's tasks and handlers are checked too.
    fileprivate mutating func followRole(_ task: Task, _ place: Place) {
        let literal = task.args.values.allSatisfy { !ArgumentValidator.containsTemplate($0) }
        guard literal, case .string(let name)? = task.args["name"] ?? task.args["_raw_params"] else { return }
        var request = RoleRequest(name: name)
        request.tasksFrom = task.args["tasks_from"]?.stringValue
        request.varsFrom = task.args["vars_from"]?.stringValue
        request.defaultsFrom = task.args["defaults_from"]?.stringValue
        request.handlersFrom = task.args["handlers_from"]?.stringValue
        let loader = self.loader
        guard let role = loadNow(task, {
            try loader.loadRole(request, playbookDirectory: place.playDirectory, parentRole: task.role, location: task.location)
        }) else { return }
        guard seen.insert("role:\(role.path)|\(request.tasksFrom ?? "")|\(request.handlersFrom ?? "")").inserted else { return }
        for node in [TaskNode.block(role.runBlock)] { check(node, place) }
        var handlers = place
        handlers.isHandler = true
        for node in role.handlers { check(node, handlers) }
    }
}

/// A module task's literal arguments against the module's spec.
enum ArgumentCheck {
    static func problems(_ task: Task, name: String, spec: ArgumentSpec,
                         validate: (OrderedDictionary<String, Value>, SourceLocation?) throws -> Void) -> [KeelError] {
        // `args: "{{ x }}"` or `copy: "{{ x }}"`: the arguments are a variable, known only at run time.
        if task.args["_variable_params"] != nil { return [] }
        if !spec.acceptsFreeForm, case .string(let raw)? = task.args["_raw_params"],
           ArgumentValidator.containsTemplate(.string(raw)) { return [] }
        let validator = ArgumentValidator(module: name, spec: spec)
        let problems = validator.literalProblems(task.args, locations: task.argLocations, at: task.argsLocation)
        guard problems.isEmpty, !task.args.values.contains(where: ArgumentValidator.containsTemplate) else { return problems }
        // Nothing templated: the run-time validation itself must pass now (one rule set, not two).
        do {
            try validate(task.args, task.argsLocation)
            return []
        } catch let error as KeelError {
            return [error]
        } catch {
            return [KeelError("\(error)", at: task.argsLocation)]
        }
    }
}
