import Foundation
import KeelBase
import OrderedCollections

/// Reads playbooks, task files and roles into the model, checking everything that can be checked
/// before any host is touched. Static imports are resolved here; dynamic includes are resolved by the
/// engine at run time through `loadTasks` and `loadRole`.
public struct PlaybookLoader: Sendable {
    public let catalog: any ModuleCatalog
    public let options: LoaderOptions
    let reader: NodeReader

    public init(catalog: some ModuleCatalog, options: LoaderOptions = LoaderOptions()) {
        self.catalog = catalog
        self.options = options
        self.reader = NodeReader(checkTemplate: options.checkTemplate, problemLog: options.problemLog)
    }

    /// A playbook with its `import_playbook`s resolved (relative to the importing file).
    public func loadPlaybook(at path: String) throws -> Playbook {
        // Paths stay as the user wrote them (normalised), so error locations read as they typed them.
        let normalized = joinPath(".", path)
        return Playbook(path: path, plays: try loadPlays(normalized, displayPath: path, chain: []))
    }

    /// A task file for `include_tasks`, resolved as Ansible does: under the role's tasks/ first (when
    /// the include is in a role), then beside `includingFile`, then in the playbook's directory.
    public func loadTasks(at path: String, includedFrom includingFile: String, playbookDirectory: String,
                          role: RoleRef? = nil, isHandler: Bool = false,
                          location: SourceLocation? = nil) throws -> [TaskNode] {
        try loadIncludedTasks(at: path, includedFrom: includingFile, playbookDirectory: playbookDirectory, role: role,
                              isHandler: isHandler, location: location).tasks
    }

    /// `loadTasks`, also saying which file was read (the engine follows chains of includes with it).
    public func loadIncludedTasks(at path: String, includedFrom includingFile: String, playbookDirectory: String,
                                  role: RoleRef? = nil, isHandler: Bool = false,
                                  location: SourceLocation? = nil) throws -> (file: String, tasks: [TaskNode]) {
        let ctx = LoadContext(file: includingFile, playbookDirectory: playbookDirectory, role: role, isHandler: isHandler)
        let resolved = try resolveTaskFile(path, ctx, at: location ?? SourceLocation(file: includingFile, line: 1, column: 1))
        var inner = ctx
        inner.file = resolved
        inner.importChain = [resolved]
        return (resolved, try parseTaskFile(resolved, inner))
    }

    /// A role for `include_role` (or any caller that names a role at run time). `parentRole` is the role
    /// whose task includes it, so sibling roles are found first.
    public func loadRole(_ request: RoleRequest, playbookDirectory: String, parentRole: RoleRef? = nil,
                         keywords: Keywords = Keywords(), location: SourceLocation) throws -> Role {
        let ctx = LoadContext(file: location.file, playbookDirectory: playbookDirectory, role: parentRole)
        return try loadRole(request, ctx: ctx, keywords: keywords, at: location, chain: [])
    }

    /// Convenience for `loadRole(RoleRequest(name:), …)`.
    public func loadRole(named name: String, playbookDirectory: String, parentRole: RoleRef? = nil,
                         location: SourceLocation) throws -> Role {
        try loadRole(RoleRequest(name: name), playbookDirectory: playbookDirectory, parentRole: parentRole,
                     location: location)
    }

    /// A variables file (vars_files, include_vars): a mapping, checked for names and templates.
    public func loadVariables(at path: String) throws -> OrderedDictionary<String, Value> {
        try reader.variablesFile(try YAMLLoader.load(file: path), file: path)
    }

    // MARK: playbook files

    /// A playbook given as text (`keel run`'s ad-hoc play), read as if it were the file `name`.
    public func loadPlaybook(text: String, named name: String) throws -> Playbook {
        Playbook(path: name, plays: try loadPlays(try YAMLLoader.load(string: text, file: name), path: name, chain: []))
    }

    func loadPlays(_ path: String, displayPath: String, chain: [String]) throws -> [Play] {
        try loadPlays(try YAMLLoader.load(file: path), path: path, chain: chain)
    }

    func loadPlays(_ root: YAMLNode?, path: String, chain: [String]) throws -> [Play] {
        guard let root else {
            throw KeelError("the playbook is empty", at: SourceLocation(file: path, line: 1, column: 1),
                            expected: "a list of plays", found: "an empty file")
        }
        guard let entries = root.items else {
            throw KeelError("a playbook must be a list of plays", at: root.location,
                            expected: "a list of plays ('- hosts: ...')", found: root.shapeDescription)
        }
        let ctx = LoadContext(file: path, playbookDirectory: directoryOf(path))
        var plays: [Play] = []
        for entry in entries {
            guard let pairs = entry.pairs else {
                throw KeelError("a play must be a mapping", at: entry.location,
                                expected: "a mapping with 'hosts:' (or an 'import_playbook:')", found: entry.shapeDescription)
            }
            if let importKey = pairs.first(where: { KeywordTable.loaderAction($0.key) == "import_playbook" }) {
                plays += try importPlaybook(entry, pairs, key: importKey, ctx: ctx, chain: chain + [path])
            } else {
                plays.append(try parsePlay(entry, pairs, ctx))
            }
        }
        return plays
    }

    /// `- import_playbook: other.yml` with optional vars/tags/when applied to every imported play.
    func importPlaybook(_ entry: YAMLNode, _ pairs: [YAMLPair], key: YAMLPair, ctx: LoadContext,
                        chain: [String]) throws -> [Play] {
        var imported = Keywords()
        for pair in pairs where pair.key != key.key {
            switch pair.key {
            case "name": _ = try reader.optionalString(pair.value, pair.key)
            case "vars", "tags", "when":
                _ = try reader.readCommonKeyword(pair.key, pair.value, into: &imported, owner: "import_playbook")
            default:
                throw unknownKey(pair.key, what: "import_playbook keyword", at: pair.keyLocation,
                                 candidates: Array(KeywordTable.importPlaybook))
            }
        }
        var importContext = ctx
        importContext.staticVars = imported.vars
        let file = try staticName(try reader.string(key.value, key.key), importContext, at: key.value.location,
                                  what: "the file of 'import_playbook'", alternative: "a literal path")
        let path = joinPath(ctx.directory, file)
        guard isFile(path) else {
            throw KeelError("imported playbook '\(file)' not found", at: key.value.location,
                            expected: "a file at \(path)", found: "no such file")
        }
        if chain.contains(path) {
            throw KeelError("playbook '\(file)' imports itself", at: key.value.location, expected: "no import cycle",
                            found: (chain + [path]).joined(separator: " -> "))
        }
        return try loadPlays(path, displayPath: file, chain: chain).map { play in
            var copy = play
            // Ansible: the import's vars override the play's, tags add up, conditions run first.
            var vars = play.keywords.vars
            for (k, v) in imported.vars { vars[k] = v }
            copy.keywords.vars = vars
            copy.keywords.tags = imported.tags + play.keywords.tags.filter { !imported.tags.contains($0) }
            copy.keywords.when = imported.when + play.keywords.when
            return copy
        }
    }
}
