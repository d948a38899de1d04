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
        for pair in pairs {
            switch pair.key {
            case "block": block.block = try parseTaskList(pair.value, "block", ctx)
            case "rescue": block.rescue = try parseTaskList(pair.value, "rescue", ctx)
            case "always": block.always = try parseTaskList(pair.value, "always", ctx)
            case "name": block.name = try reader.optionalString(pair.value, "name")
            default:
                if try reader.readCommonKeyword(pair.key, pair.value, into: &block.keywords, owner: "a block") { continue }
                throw unknownKey(pair.key, what: "block keyword", at: pair.keyLocation,
                                 candidates: Array(KeywordTable.block))
            }
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
                guard let canonical = KeywordTable.loaderAction(key) ?? catalog.canonicalName(for: key) else {
                    throw unknownKey(key, what: "module or task keyword", at: pair.keyLocation,
                                     candidates: Array(allowed) + catalog.allNames + Array(KeywordTable.loaderActions))
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
            case "notify": fields.notify = try reader.stringList(value, key)
            case "listen": fields.listen = try reader.stringList(value, key)
            case "loop": loops.append((key, LoopSpec(kind: .loop, items: try loopItems(value), location: pair.keyLocation)))
            case "loop_control": fields.loopControl = try loopControl(value)
            case "changed_when": fields.changedWhen = try reader.conditionals(value, key)
            case "failed_when": fields.failedWhen = try reader.conditionals(value, key)
            case "until": fields.until = try reader.conditionals(value, key)
            case "retries": fields.retries = try reader.int(value, key)
            case "delay": fields.delay = try reader.int(value, key)
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

    // MARK: module arguments

    /// The module's value: a mapping of arguments, a `k=v` string, or nothing.
    func moduleArgs(_ node: YAMLNode, written: String, canonical: String) throws -> ModuleArgs {
        var result = ModuleArgs(location: node.location)
        switch node.kind {
        case .scalar(.null): break
        case .mapping(let pairs):
            for pair in pairs {
                result.values[pair.key] = try reader.value(pair.value)
                result.locations[pair.key] = pair.value.location
            }
        case .scalar(.string(let text)):
            try reader.check(text, at: node.location)
            result.values = try keyValues(text, canonical: canonical, at: node.location)
        case .scalar(let v):
            // `command: 42`: Ansible parses the text form.
            let text = NodeReader.scalarText(v) ?? ""
            result.values = try keyValues(text, canonical: canonical, at: node.location)
        default:
            throw KeelError("the arguments of '\(written)' must be a mapping or a k=v string", at: node.location,
                            expected: "a mapping of arguments or a 'key=value ...' string", found: node.shapeDescription)
        }
        return result
    }

    func keyValues(_ text: String, canonical: String, at location: SourceLocation) throws -> OrderedDictionary<String, Value> {
        do {
            return try KeyValueArguments.parse(text, checkRaw: KeywordTable.commandLike.contains(canonical))
        } catch {
            throw KeelError("cannot split the arguments: \(error.message)", at: location,
                            expected: "balanced quotes and {{ }} / {% %} blocks", found: "'\(text)'")
        }
    }

    /// `action: copy src=a dest=b`, `action: {module: copy, src: a}`, and the same for local_action.
    func actionKeyword(_ node: YAMLNode, key: String) throws -> ModuleCall {
        let written: String
        let moduleLocation = node.location
        var args = ModuleArgs(location: node.location)
        switch node.kind {
        case .scalar(.string(let text)):
            let trimmed = text.trimmingWhitespace
            let name = String(trimmed.prefix { !$0.isWhitespace })
            written = name
            let rest = String(trimmed.dropFirst(name.count)).trimmingWhitespace
            try reader.check(rest, at: node.location)
            let canonical = try knownAction(written, at: moduleLocation)
            if !rest.isEmpty { args.values = try keyValues(rest, canonical: canonical, at: node.location) }
            return ModuleCall(written: written, canonical: canonical, keyLocation: node.location, args: args,
                              viaLocalAction: key == "local_action")
        case .mapping(let pairs):
            guard let modulePair = pairs.first(where: { $0.key == "module" }) else {
                throw KeelError("'\(key)' needs a 'module'", at: node.location,
                                expected: "'module: <name>' with the module's arguments beside it", found: "no 'module' key")
            }
            written = try reader.string(modulePair.value, "module")
            let canonical = try knownAction(written, at: modulePair.value.location)
            for pair in pairs where pair.key != "module" {
                if pair.key == "args", let inner = pair.value.pairs {
                    for p in inner { args.values[p.key] = try reader.value(p.value); args.locations[p.key] = p.value.location }
                    continue
                }
                args.values[pair.key] = try reader.value(pair.value)
                args.locations[pair.key] = pair.value.location
            }
            return ModuleCall(written: written, canonical: canonical, keyLocation: node.location, args: args,
                              viaLocalAction: key == "local_action")
        default:
            throw reader.typeError(key, node, expected: "a module name with k=v arguments, or a mapping with 'module'")
        }
    }

    func knownAction(_ written: String, at location: SourceLocation) throws -> String {
        if let canonical = KeywordTable.loaderAction(written) ?? catalog.canonicalName(for: written) { return canonical }
        throw KeelError("unknown module '\(written)'", at: location, expected: "a module Keel knows",
                        found: "'\(written)'",
                        suggestion: Suggestion.closest(to: written, among: catalog.allNames + Array(KeywordTable.loaderActions)))
    }

    /// `args:` fills in what the module's own value does not set (the inline arguments win).
    func mergeArgs(_ pair: YAMLPair, into call: inout ModuleCall) throws {
        switch pair.value.kind {
        case .mapping(let pairs):
            var merged = OrderedDictionary<String, Value>()
            for p in pairs {
                merged[p.key] = try reader.value(p.value)
                if call.args.locations[p.key] == nil { call.args.locations[p.key] = p.value.location }
            }
            for (key, value) in call.args.values { merged[key] = value }
            call.args.values = merged
        case .scalar(.string(let s)) where NodeReader.isTemplate(s):
            try reader.check(s, at: pair.value.location)
            call.args.values["_variable_params"] = .string(s)
        case .scalar(.null): break
        default:
            throw reader.typeError("args", pair.value, expected: "a mapping of arguments or a template such as '{{ my_args }}'")
        }
    }

    /// Only free-form modules take words that are not `k=v`; a template there is a whole argument mapping.
    func checkFreeForm(_ call: ModuleCall) throws {
        guard case .string(let raw)? = call.args.values["_raw_params"], !raw.isEmpty else { return }
        if catalog.takesFreeForm(call.canonical) || KeywordTable.loaderActions.contains(call.canonical) { return }
        if NodeReader.isTemplate(raw) && call.args.values.count == 1 {
            // Ansible: `debug: "{{ args }}"` means "these variables are my arguments".
            return
        }
        throw KeelError("module '\(call.written)' does not take free-form arguments", at: call.args.location,
                        expected: "key=value arguments or a mapping", found: "'\(raw)'")
    }

    // MARK: loops

    func loopItems(_ node: YAMLNode) throws -> Value {
        switch node.kind {
        case .sequence: return try reader.value(node)
        case .scalar(.string(let s)) where NodeReader.isTemplate(s): return try reader.value(node)
        default: throw reader.typeError("loop", node, expected: "a list or a template producing one")
        }
    }

    func withItems(_ node: YAMLNode, _ key: String) throws -> Value { try reader.value(node) }

    func loopControl(_ node: YAMLNode) throws -> LoopControl {
        var control = LoopControl(location: node.location)
        for pair in try reader.mapping(node, "loop_control") {
            switch pair.key {
            case "loop_var": control.loopVar = try reader.string(pair.value, pair.key)
            case "index_var": control.indexVar = try reader.string(pair.value, pair.key)
            case "label": control.label = try reader.string(pair.value, pair.key)
            case "pause": control.pause = try reader.value(pair.value)
            case "extended": control.extended = try reader.bool(pair.value, pair.key)
            case "extended_allitems": control.extendedAllitems = try reader.bool(pair.value, pair.key)
            case "break_when": control.breakWhen = try reader.conditionals(pair.value, pair.key)
            default:
                throw unknownKey(pair.key, what: "loop_control option", at: pair.keyLocation, candidates: LoopControl.keys)
            }
        }
        return control
    }
}

/// A module found in a task: as written, canonical, and its arguments so far.
struct ModuleCall {
    var written: String
    var canonical: String
    var keyLocation: SourceLocation
    var args: ModuleArgs
    var viaLocalAction = false
}

struct ModuleArgs {
    var values = OrderedDictionary<String, Value>()
    var locations: [String: SourceLocation] = [:]
    var location: SourceLocation
}

extension ModuleCall {
    var argsLocation: SourceLocation { args.location }
    var argLocations: [String: SourceLocation] { args.locations }
}

/// Task-only keywords collected while walking a task's keys.
struct TaskFields {
    var name: String?
    var register: String?
    var notify: [String] = []
    var listen: [String] = []
    var loopControl: LoopControl?
    var changedWhen: [Conditional] = []
    var failedWhen: [Conditional] = []
    var until: [Conditional] = []
    var retries: Templatable<Int>?
    var delay: Templatable<Int>?
    var asyncSeconds: Templatable<Int>?
    var poll: Templatable<Int>?

    func apply(to task: inout Task) {
        task.name = name
        task.register = register
        task.notify = notify
        task.listen = listen
        task.loopControl = loopControl
        task.changedWhen = changedWhen
        task.failedWhen = failedWhen
        task.until = until
        task.retries = retries
        task.delay = delay
        task.asyncSeconds = asyncSeconds
        task.poll = poll
    }
}
