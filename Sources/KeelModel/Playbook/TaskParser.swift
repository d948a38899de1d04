import KeelBase
import OrderedCollections

/// Tasks, handlers and blocks: finding the module among a task's keys as Ansible's ModuleArgsParser
/// does, normalising its arguments, and resolving static imports in place.
extension PlaybookLoader {
    func parseTaskList(_ node: YAMLNode?, _ keyword: String, _ ctx: LoadContext) throws -> [TaskNode] {
        guard let node else { return [] }
        var result: [TaskNode] = []
        for item in try reader.list(node, keyword) { result += try parseTaskEntry(item, ctx) }
        return result
    }

    /// One list entry: a block, a task, or a static import that expands to several nodes.
    func parseTaskEntry(_ node: YAMLNode, _ ctx: LoadContext) throws -> [TaskNode] {
        guard let pairs = node.pairs else {
            throw KeelError("a task must be a mapping", at: node.location,
                            expected: "a mapping with a module and task keywords", found: node.shapeDescription)
        }
        if pairs.contains(where: { ["block", "rescue", "always"].contains($0.key) }) {
            return [.block(try parseBlock(node, pairs, ctx))]
        }
        return try parseTask(node, pairs, ctx)
    }

    func parseBlock(_ node: YAMLNode, _ pairs: [YAMLPair], _ ctx: LoadContext) throws -> Block {
        if !pairs.contains(where: { $0.key == "block" }), let orphan = pairs.first(where: { $0.key != "name" && ["rescue", "always"].contains($0.key) }) {
            throw KeelError("'\(orphan.key)' without 'block'", at: orphan.keyLocation,
                            expected: "a 'block:' list beside '\(orphan.key):'", found: "no 'block:'")
        }
        var block = Block(block: [], location: node.location)
        block.role = ctx.role
        var notify: (names: [String], location: SourceLocation)?
        for pair in pairs {
            switch pair.key {
            case "block": block.block = try parseTaskList(pair.value, "block", ctx)
            case "rescue": block.rescue = try parseTaskList(pair.value, "rescue", ctx)
            case "always": block.always = try parseTaskList(pair.value, "always", ctx)
            case "name": block.name = try reader.optionalString(pair.value, "name")
            case "notify": notify = (try reader.stringList(pair.value, "notify"), pair.value.location)
            default:
                if try reader.readCommonKeyword(pair.key, pair.value, into: &block.keywords, owner: "a block") { continue }
                try stepOver(unknownKey(pair.key, what: "block keyword", at: pair.keyLocation,
                                        candidates: Array(KeywordTable.block)))
            }
        }
        if let notify, !notify.names.isEmpty {
            let node = TaskNode.block(block).inheritingNotify(notify.names, location: notify.location)
            if case .block(let inherited) = node { block = inherited }
        }
        return block
    }

    /// A task mapping. Returns several nodes for `import_tasks`, one otherwise.
    func parseTask(_ node: YAMLNode, _ pairs: [YAMLPair], _ ctx: LoadContext) throws -> [TaskNode] {
        let allowed = ctx.isHandler ? KeywordTable.handler : KeywordTable.task
        var keywords = Keywords()
        var fields = TaskFields()
        var modules: [ModuleCall] = []
        var argsPair: YAMLPair?
        var loops: [(String, LoopSpec)] = []
        var unknownActions: [ModuleCall] = []

        for pair in pairs {
            let key = pair.key
            let value = pair.value
            if key.hasPrefix("with_") && key.count > 5 {
                loops.append((key, LoopSpec(kind: .with(lookup: String(key.dropFirst(5))),
                                            items: try withItems(value, key), location: pair.keyLocation)))
                continue
            }
            guard allowed.contains(key) else {
                if key == "include" {
                    throw KeelError("'include' was removed from Ansible", at: pair.keyLocation,
                                    expected: "'include_tasks' (dynamic) or 'import_tasks' (static)", found: "'include'")
                }
                if KeywordTable.loaderAction(key) == nil, catalog.canonicalName(for: key) == nil,
                   let role = ctx.role, RoleLibrary.module(key, in: role.path) != nil {
                    // The role ships this module (library/): Ansible knows it, so the task loads; Keel cannot
                    // run it, which the load checks report as a warning and the task as an error if it runs.
                    modules.append(ModuleCall(written: key, canonical: key, keyLocation: pair.keyLocation,
                                              args: try moduleArgs(value, written: key, canonical: key)))
                    continue
                }
                guard let canonical = KeywordTable.loaderAction(key) ?? catalog.canonicalName(for: key) else {
                    try stepOver(unknownKey(key, what: "module or task keyword", at: pair.keyLocation,
                                            candidates: Array(allowed) + catalog.allNames + Array(KeywordTable.loaderActions)))
                    // Collecting: the unknown name stands in as the task's module (never run), so the
                    // task's other keys are still checked.
                    unknownActions.append(ModuleCall(written: key, canonical: key, keyLocation: pair.keyLocation,
                                                     args: ModuleArgs(location: value.location)))
                    continue
                }
                modules.append(ModuleCall(written: key, canonical: canonical, keyLocation: pair.keyLocation,
                                          args: try moduleArgs(value, written: key, canonical: canonical)))
                continue
            }
            switch key {
            case "name": fields.name = try reader.optionalString(value, key)
            case "action", "local_action":
                var call = try actionKeyword(value, key: key)
                call.keyLocation = pair.keyLocation
                modules.append(call)
                if key == "local_action" { keywords.delegateTo = keywords.delegateTo ?? "localhost" }
            case "args": argsPair = pair
            case "register":
                let name = try reader.string(value, key)
                guard NodeReader.isIdentifier(name) else {
                    throw KeelError("invalid variable name '\(name)' in 'register'", at: value.location,
                                    expected: "a name of letters, digits and underscores, not starting with a digit",
                                    found: "'\(name)'")
                }
                fields.register = name
            case "notify":
                fields.notify = try reader.stringList(value, key)
                fields.notifyLocation = value.location
            case "listen": fields.listen = try reader.stringList(value, key)
            case "loop": loops.append((key, LoopSpec(kind: .loop, items: try loopItems(value), location: pair.keyLocation)))
            case "loop_control": fields.loopControl = try loopControl(value)
            case "changed_when": fields.changedWhen = try reader.conditionals(value, key)
            case "failed_when": fields.failedWhen = try reader.conditionals(value, key)
            case "until": fields.until = try reader.conditionals(value, key)
            case "retries": fields.retries = try reader.int(value, key)
            case "delay":
                // Ansible's delay is a float; the model keeps whole seconds, rounding fractions up.
                if case .scalar(.double(let seconds)) = value.kind, seconds >= 0 {
                    fields.delay = .value(Int(seconds.rounded(.up)))
                } else {
                    fields.delay = try reader.int(value, key)
                }
            case "async": fields.asyncSeconds = try reader.int(value, key)
            case "poll": fields.poll = try reader.int(value, key)
            case "delegate_to":
                if let existing = modules.first(where: { $0.viaLocalAction }) {
                    throw KeelError("'local_action' and 'delegate_to' cannot be used together", at: pair.keyLocation,
                                    expected: "one of them", found: "both (local_action at \(existing.keyLocation))")
                }
                keywords.delegateTo = try reader.optionalString(value, key)
            default:
                _ = try reader.readCommonKeyword(key, value, into: &keywords, owner: "a task")
            }
        }

        if modules.isEmpty, let standIn = unknownActions.first { modules = [standIn] }
        guard var call = modules.first else {
            let written = pairs.map(\.key).joined(separator: ", ")
            throw KeelError("this task has no module", at: node.location,
                            expected: "a module such as 'ansible.builtin.debug:' or 'action:'",
                            found: written.isEmpty ? "an empty mapping" : "only task keywords: \(written)")
        }
        if modules.count > 1 {
            throw KeelError("conflicting action statements: \(modules[0].written), \(modules[1].written)",
                            at: modules[1].keyLocation, expected: "one module per task",
                            found: modules.map { "'\($0.written)'" }.joined(separator: " and "))
        }
        if loops.count > 1 {
            throw KeelError("duplicate loop in task: \(loops[1].0)", at: loops[1].1.location,
                            expected: "one of loop or with_*", found: loops.map(\.0).joined(separator: " and "))
        }
        if let argsPair { try mergeArgs(argsPair, into: &call) }
        try checkFreeForm(call)

        var task = Task(action: call.canonical, writtenAction: call.written, args: call.args.values,
                        argsLocation: call.argsLocation, keywords: keywords, location: node.location)
        task.argLocations = call.argLocations
        fields.apply(to: &task)
        task.loop = loops.first?.1
        task.role = ctx.role
        return try resolveLoaderAction(task, ctx)
    }
}
