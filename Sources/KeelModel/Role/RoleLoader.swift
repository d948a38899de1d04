import Foundation
import KeelBase
import OrderedCollections

/// Finding a role on disk and loading its parts: defaults/, vars/, meta/ (dependencies), tasks/ and
/// handlers/, each from main.yml, main.yaml, main.json or main (or a `*_from` file), and for
/// variables also a directory of files.
extension PlaybookLoader {
    func loadRole(_ request: RoleRequest, ctx: LoadContext, keywords: Keywords, at location: SourceLocation,
                  chain: [String]) throws -> Role {
        let path = try findRole(try staticName(request.name, ctx, at: location, what: "a role name in 'roles:'",
                                               alternative: "include_role"), ctx: ctx, at: location)
        if chain.contains(path) {
            throw KeelError("role '\(request.name)' depends on itself", at: location, expected: "no dependency cycle",
                            found: (chain + [path]).map { ($0 as NSString).lastPathComponent }.joined(separator: " -> "))
        }
        let name = (path as NSString).lastPathComponent
        let defaults = try roleVariables(path, "defaults", from: request.defaultsFrom, at: location)
        let vars = try roleVariables(path, "vars", from: request.varsFrom, at: location)
        let meta = try roleMeta(path)
        let ref = RoleRef(name: name, path: path, params: request.params, defaults: defaults, vars: vars)
        var inner = LoadContext(file: path + "/tasks/main.yml", playbookDirectory: ctx.playbookDirectory, role: ref)
        inner.staticVars = ctx.staticVars
        var tasks = try roleTaskFile(path, "tasks", from: request.tasksFrom, at: location)
            .map { file -> [TaskNode] in inner.file = file; return try parseTaskFile(file, inner) } ?? []
        if var validation = try argumentSpecTask(path, name: name, entryPoint: request.tasksFrom ?? "main", params: request.params) {
            validation.role = ref
            tasks.insert(.task(validation), at: 0)
        }
        inner.isHandler = true
        let handlers = try roleTaskFile(path, "handlers", from: request.handlersFrom, at: location)
            .map { file -> [TaskNode] in inner.file = file; return try parseTaskFile(file, inner) } ?? []
        var dependencies: [Role] = []
        for entry in meta.dependencies {
            let (depRequest, depKeywords, depLocation) = try parseRoleEntry(entry)
            var depContext = ctx
            depContext.role = ref
            dependencies.append(try loadRole(depRequest, ctx: depContext, keywords: keywords.applied(to: depKeywords),
                                             at: depLocation, chain: chain + [path]))
        }
        var role = Role(name: name, path: path, params: request.params, defaults: defaults, vars: vars, tasks: tasks,
                        handlers: handlers, dependencies: dependencies, allowDuplicates: meta.allowDuplicates,
                        keywords: keywords, location: location)
        role.tasksFrom = request.tasksFrom
        role.varsFrom = request.varsFrom
        role.defaultsFrom = request.defaultsFrom
        role.handlersFrom = request.handlersFrom
        return role
    }

    /// Search order: beside the role that names it (for dependencies), `roles/` beside the playbook,
    /// the configured roles paths, then the playbook's directory; a name with a slash is also a path.
    func roleSearchPaths(_ ctx: LoadContext) -> [String] {
        var paths: [String] = []
        if let parent = ctx.role { paths.append(directoryOf(parent.path)) }
        paths.append(joinPath(ctx.playbookDirectory, "roles"))
        paths += options.configuredRolePaths.map { joinPath(ctx.playbookDirectory, $0) }
        paths.append(ctx.playbookDirectory)
        var unique: [String] = []
        for p in paths where !unique.contains(p) { unique.append(p) }
        return unique
    }

    /// `namespace.collection.role`: the role inside a collection installed beside the playbook
    /// (`collections/ansible_collections/…`, as Ansible looks) or under a collections_path directory.
    func collectionRoleCandidates(_ name: String, _ ctx: LoadContext) -> [String] {
        let parts = name.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !name.contains("/"), parts.allSatisfy({ !$0.isEmpty }) else { return [] }
        let roots = [joinPath(ctx.playbookDirectory, "collections")] + options.collectionsPath.map { joinPath(ctx.playbookDirectory, $0) }
        return roots.map { root in
            let base = root.hasSuffix("/ansible_collections") ? root : joinPath(root, "ansible_collections")
            return "\(base)/\(parts[0])/\(parts[1])/roles/\(parts[2])"
        }
    }

    func findRole(_ name: String, ctx: LoadContext, at location: SourceLocation) throws -> String {
        var candidates = name.hasPrefix("/") ? [name] : roleSearchPaths(ctx).map { joinPath($0, name) }
        candidates += collectionRoleCandidates(name, ctx)
        if let found = candidates.first(where: isDirectory) { return found }
        throw KeelError("role '\(name)' not found; searched: \(candidates.joined(separator: ", "))", at: location,
                        expected: "a role directory named '\(name)'", found: "no such directory")
    }

    /// A `roles:` entry or dependency: a name, or a mapping with `role:` (or `name:`), keywords, and
    /// parameters (every other key).
    func parseRoleEntry(_ node: YAMLNode) throws -> (RoleRequest, Keywords, SourceLocation) {
        if case .scalar = node.kind {
            return (RoleRequest(name: try reader.string(node, "role")), Keywords(), node.location)
        }
        guard let pairs = node.pairs else {
            throw reader.typeError("roles", node, expected: "a role name or a mapping with 'role:'")
        }
        if !pairs.contains(where: { $0.key == "role" || $0.key == "name" }),
           let source = pairs.first(where: { $0.key == "src" }) {
            // Galaxy-style dependency (`src: https://host/roles/x.git,v1`): the role is named after its source.
            var request = RoleRequest(name: Self.roleName(fromSource: try reader.string(source.value, "src")))
            for pair in pairs { request.params[pair.key] = try reader.value(pair.value) }
            return (request, Keywords(), node.location)
        }
        guard let namePair = pairs.first(where: { $0.key == "role" }) ?? pairs.first(where: { $0.key == "name" }) else {
            throw KeelError("a role entry needs 'role'", at: node.location, expected: "'role: <name>'",
                            found: "keys \(pairs.map(\.key).joined(separator: ", "))")
        }
        var request = RoleRequest(name: try reader.string(namePair.value, namePair.key))
        var keywords = Keywords()
        for pair in pairs where pair.key != namePair.key {
            if pair.key == "name" { continue }
            if KeywordTable.roleEntry.contains(pair.key),
               try reader.readCommonKeyword(pair.key, pair.value, into: &keywords, owner: "role '\(request.name)'") {
                continue
            }
            request.params[pair.key] = try reader.value(pair.value)
        }
        return (request, keywords, node.location)
    }

    /// ansible-galaxy's naming of a role from its `src` (its repo_url_to_role_name): a URL gives its last
    /// path component without `.git`/`.tar.gz` and without a `,version`; anything else is the name itself.
    static func roleName(fromSource source: String) -> String {
        guard source.contains("://") || source.contains("@") else { return source }
        var tail = source.split(separator: "/").last.map(String.init) ?? source
        for suffix in [".git", ".tar.gz"] where tail.hasSuffix(suffix) { tail.removeLast(suffix.count) }
        if let comma = tail.firstIndex(of: ",") { tail = String(tail[..<comma]) }
        return tail
    }

    struct RoleMeta {
        var dependencies: [YAMLNode] = []
        var allowDuplicates = false
    }

    func roleMeta(_ rolePath: String) throws -> RoleMeta {
        var meta = RoleMeta()
        guard let file = firstExisting(in: rolePath + "/meta", base: "main"),
              let root = try YAMLLoader.load(file: file) else { return meta }
        if case .scalar(.null) = root.kind { return meta }
        for pair in try reader.mapping(root, "meta") {
            switch pair.key {
            case "dependencies": meta.dependencies = try reader.list(pair.value, "dependencies")
            case "allow_duplicates":
                guard case .value(let b) = try reader.bool(pair.value, pair.key) else {
                    throw reader.typeError(pair.key, pair.value, expected: "true or false")
                }
                meta.allowDuplicates = b
            case "galaxy_info", "argument_specs", "collections": break
            default:
                throw unknownKey(pair.key, what: "role meta key", at: pair.keyLocation,
                                 candidates: Array(KeywordTable.roleMeta))
            }
        }
        return meta
    }

    /// ansible-core's check of a role's arguments: when meta/argument_specs.yml (or `argument_specs` in
    /// meta/main.yml) has a spec for the entry point, a validate_argument_spec task runs first, tagged
    /// `always`, with the role's parameters as provided arguments.
    func argumentSpecTask(_ rolePath: String, name: String, entryPoint: String, params: OrderedDictionary<String, Value>) throws -> Task? {
        guard let action = catalog.canonicalName(for: "ansible.builtin.validate_argument_spec") else { return nil }
        let file = firstExisting(in: rolePath + "/meta", base: "argument_specs") ?? firstExisting(in: rolePath + "/meta", base: "main")
        guard let file, let root = try YAMLLoader.load(file: file), case .dict(let meta) = try reader.value(root),
              let specs = meta["argument_specs"]?.dictValue else { return nil }
        let point = (entryPoint as NSString).deletingPathExtension
        guard let spec = (specs[entryPoint] ?? specs[point])?.dictValue else { return nil }
        var taskName = "Validating arguments against arg spec '\(entryPoint)'"
        if let short = spec["short_description"]?.stringValue { taskName += " - " + short }
        let location = SourceLocation(file: file, line: root.location.line, column: root.location.column)
        var task = Task(action: action, writtenAction: "ansible.builtin.validate_argument_spec", args: [
            "argument_spec": spec["options"] ?? .dict([:]),
            "provided_arguments": .dict(params),
            "validate_args_context": ["type": "role", "name": .string(name), "argument_spec_name": .string(entryPoint), "path": .string(rolePath)],
        ], argsLocation: location, location: location)
        task.name = taskName
        task.keywords.tags = ["always"]
        return task
    }

    /// defaults/ or vars/: `main` (or the `*_from` name) as a file, or as a directory of files merged in
    /// name order.
    func roleVariables(_ rolePath: String, _ part: String, from: String?, at location: SourceLocation) throws
        -> OrderedDictionary<String, Value> {
        let directory = rolePath + "/" + part
        let base = from ?? "main"
        var files: [String] = []
        if let file = firstExisting(in: directory, base: base) {
            files = [file]
        } else if isDirectory(joinPath(directory, base)) {
            files = variableFiles(under: joinPath(directory, base))
        } else if from != nil {
            throw KeelError("role file '\(part)/\(base)' not found in '\(rolePath)'", at: location,
                            expected: "\(directory)/\(base)(.yml|.yaml|.json)", found: "no such file")
        }
        var result = OrderedDictionary<String, Value>()
        for file in files {
            for (key, value) in try reader.variablesFile(try YAMLLoader.load(file: file), file: file) { result[key] = value }
        }
        return result
    }

    /// tasks/ or handlers/: the file to load, nil when the role has none (which is fine for main).
    func roleTaskFile(_ rolePath: String, _ part: String, from: String?, at location: SourceLocation) throws -> String? {
        let directory = rolePath + "/" + part
        if let file = firstExisting(in: directory, base: from ?? "main") { return file }
        guard let from else { return nil }
        throw KeelError("role file '\(part)/\(from)' not found in '\(rolePath)'", at: location,
                        expected: "\(directory)/\(from)(.yml|.yaml)", found: "no such file")
    }

    func firstExisting(in directory: String, base: String) -> String? {
        let names = [base + ".yml", base + ".yaml", base + ".json", base]
        return names.map { joinPath(directory, $0) }.first(where: isFile)
    }

    func variableFiles(under directory: String) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory) else { return [] }
        var files: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let full = joinPath(directory, relative)
            guard isFile(full), !relative.split(separator: "/").contains(where: { $0.hasPrefix(".") }) else { continue }
            let ext = (relative as NSString).pathExtension
            if ["", "yml", "yaml", "json"].contains(ext) { files.append(full) }
        }
        return files.sorted()
    }
}

func isFile(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && !isDir.boolValue
}

func isDirectory(_ path: String) -> Bool {
    var isDir: ObjCBool = false
    return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
}
