import KeelBase
import OrderedCollections

/// The actions the loader handles itself: static imports are resolved now, dynamic includes are
/// checked now and resolved by the engine at run time.
extension PlaybookLoader {
    func resolveLoaderAction(_ task: Task, _ ctx: LoadContext) throws -> [TaskNode] {
        switch task.action {
        case "import_tasks":
            try forbidLoop(task, use: "include_tasks")
            try allowOnly(["file", "_raw_params"], in: task)
            let file = try includedFile(task)
            let path = try resolveTaskFile(file, ctx, at: task.argsLocation)
            if ctx.importChain.contains(path) {
                throw KeelError("import_tasks of '\(file)' imports itself", at: task.location,
                                expected: "no import cycle", found: (ctx.importChain + [path]).joined(separator: " -> "))
            }
            var inner = ctx
            inner.file = path
            inner.importChain.append(path)
            let nodes = try parseTaskFile(path, inner)
            // The import's keywords act as a parent of every imported task or block.
            return nodes.map { node in
                var copy = node
                copy.keywords = task.keywords.applied(to: node.keywords)
                return copy
            }
        case "import_role":
            try forbidLoop(task, use: "include_role")
            try allowOnly(KeywordTable.includeRoleArgs, in: task)
            let request = try roleRequest(task)
            let role = try loadRole(request, ctx: ctx, keywords: Keywords(), at: task.location, chain: [])
            var block = role.runBlock
            block.keywords = task.keywords.applied(to: block.keywords)
            block.name = task.name
            block.location = task.location
            block.importedFrom = "import_role: \(role.name)"
            block.importedRole = role
            return [.block(block)]
        case "include_tasks":
            try allowOnly(["file", "apply", "_raw_params"], in: task)
            _ = try includedFile(task)
            return [.task(task)]
        case "include_role":
            try allowOnly(KeywordTable.includeRoleArgs, in: task)
            _ = try roleRequest(task, checkOnly: true)
            return [.task(task)]
        case "import_playbook":
            throw KeelError("'import_playbook' is only allowed at the top level of a playbook", at: task.location,
                            expected: "a play or an import_playbook entry in the playbook's list", found: "a task")
        case "meta":
            if case .string(let action)? = task.args["_raw_params"], !NodeReader.isTemplate(action),
               !KeywordTable.metaActions.contains(action) {
                throw KeelError("unknown meta action '\(action)'", at: task.argsLocation,
                                expected: KeywordTable.metaActions.joined(separator: ", "), found: "'\(action)'",
                                suggestion: Suggestion.closest(to: action, among: KeywordTable.metaActions))
            }
            return [.task(task)]
        default:
            return [.task(task)]
        }
    }

    private func forbidLoop(_ task: Task, use alternative: String) throws {
        guard let loop = task.loop else { return }
        throw KeelError("'\(task.writtenAction)' cannot loop", at: loop.location,
                        expected: "'\(alternative)' for a looped include", found: "a loop on a static import")
    }

    private func allowOnly(_ names: Set<String>, in task: Task) throws {
        for key in task.args.keys where !names.contains(key) {
            throw KeelError("'\(task.writtenAction)' has no option '\(key)'", at: task.argLocations[key] ?? task.argsLocation,
                            expected: names.filter { $0 != "_raw_params" }.sorted().joined(separator: ", "),
                            found: "'\(key)'", suggestion: Suggestion.closest(to: key, among: names))
        }
    }

    /// The file named by import_tasks/include_tasks (`import_tasks: x.yml` or `file: x.yml`).
    func includedFile(_ task: Task) throws -> String {
        let value = task.args["file"] ?? task.args["_raw_params"]
        guard case .string(let file)? = value, !file.isEmpty else {
            throw KeelError("'\(task.writtenAction)' needs a file", at: task.argsLocation,
                            expected: "'\(task.writtenAction): tasks.yml' or 'file: tasks.yml'",
                            found: value.map { $0.typeName } ?? "no file")
        }
        if task.action == "import_tasks" && NodeReader.isTemplate(file) {
            throw KeelError("the file of 'import_tasks' cannot be a template in Keel", at: task.argsLocation,
                            expected: "a literal path, or 'include_tasks' to choose the file at run time",
                            found: "'\(file)'")
        }
        return file
    }

    /// The role an import_role/include_role names, with its *_from options.
    func roleRequest(_ task: Task, checkOnly: Bool = false) throws -> RoleRequest {
        guard case .string(let name)? = task.args["name"] ?? task.args["_raw_params"], !name.isEmpty else {
            throw KeelError("'\(task.writtenAction)' needs a role 'name'", at: task.argsLocation,
                            expected: "name: <role>", found: "no name")
        }
        func option(_ key: String) throws -> String? {
            guard let value = task.args[key] else { return nil }
            guard case .string(let s) = value else {
                throw KeelError("'\(key)' must be a file name", at: task.argLocations[key] ?? task.argsLocation,
                                expected: "a string", found: value.typeName)
            }
            return s
        }
        var request = RoleRequest(name: name)
        request.tasksFrom = try option("tasks_from")
        request.varsFrom = try option("vars_from")
        request.defaultsFrom = try option("defaults_from")
        request.handlersFrom = try option("handlers_from")
        if task.action == "import_role" && NodeReader.isTemplate(name) {
            throw KeelError("the role of 'import_role' cannot be a template in Keel", at: task.argsLocation,
                            expected: "a literal role name, or 'include_role' to choose it at run time", found: "'\(name)'")
        }
        return request
    }

    /// Where a task file named in `ctx` lives: beside a role's tasks/ first, then beside the current
    /// file, then in the playbook's directory.
    func resolveTaskFile(_ file: String, _ ctx: LoadContext, at location: SourceLocation) throws -> String {
        var candidates: [String] = []
        if file.hasPrefix("/") {
            candidates = [file]
        } else {
            if let role = ctx.role {
                candidates += [joinPath(role.path + "/tasks", file), joinPath(role.path, file)]
            }
            candidates += [joinPath(ctx.directory, file), joinPath(ctx.playbookDirectory, file)]
        }
        var unique: [String] = []
        for c in candidates where !unique.contains(c) { unique.append(c) }
        if let found = unique.first(where: isFile) { return found }
        throw KeelError("task file '\(file)' not found", at: location,
                        expected: "a file at one of: \(unique.joined(separator: ", "))", found: "no such file")
    }

    /// A file holding a list of tasks (an empty file is no tasks).
    func parseTaskFile(_ path: String, _ ctx: LoadContext) throws -> [TaskNode] {
        guard let root = try YAMLLoader.load(file: path) else { return [] }
        if case .scalar(.null) = root.kind { return [] }
        guard root.items != nil else {
            throw KeelError("a task file must hold a list of tasks", at: root.location,
                            expected: "a list of tasks", found: root.shapeDescription)
        }
        return try parseTaskList(root, "tasks", ctx)
    }
}

/// A role as named by a `roles:` entry, a dependency, or import_role/include_role.
public struct RoleRequest: Sendable, Hashable {
    public var name: String
    public var tasksFrom: String?
    public var varsFrom: String?
    public var defaultsFrom: String?
    public var handlersFrom: String?
    public var params: OrderedDictionary<String, Value> = [:]

    public init(name: String, tasksFrom: String? = nil, varsFrom: String? = nil, defaultsFrom: String? = nil,
                handlersFrom: String? = nil, params: OrderedDictionary<String, Value> = [:]) {
        self.name = name
        self.tasksFrom = tasksFrom
        self.varsFrom = varsFrom
        self.defaultsFrom = defaultsFrom
        self.handlersFrom = handlersFrom
        self.params = params
    }
}
