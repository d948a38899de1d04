import KeelBase
import OrderedCollections

extension PlaybookLoader {
    func parsePlay(_ node: YAMLNode, _ pairs: [YAMLPair], _ ctx: LoadContext) throws -> Play {
        for pair in pairs where !KeywordTable.play.contains(pair.key) {
            try stepOver(unknownKey(pair.key, what: "play keyword", at: pair.keyLocation, candidates: Array(KeywordTable.play)))
        }
        guard let hostsPair = pairs.first(where: { $0.key == "hosts" }) else {
            throw KeelError("a play needs 'hosts'", at: node.location, expected: "'hosts: <pattern>'",
                            found: "keys \(pairs.map(\.key).joined(separator: ", "))")
        }
        let hosts = try reader.stringList(hostsPair.value, "hosts")
        if hosts.isEmpty || hosts.allSatisfy(\.isEmpty) {
            throw KeelError("'hosts' is empty", at: hostsPair.value.location, expected: "a host pattern such as 'all'",
                            found: hostsPair.value.shapeDescription)
        }
        var play = Play(hosts: hosts, file: ctx.file, location: node.location)
        var ctx = ctx
        if let varsPair = pairs.first(where: { $0.key == "vars" }) {
            ctx.staticVars = try reader.vars(varsPair.value, owner: "the play")
        }
        for pair in pairs {
            let key = pair.key
            let value = pair.value
            switch key {
            case "hosts": break
            case "vars": play.keywords.vars = ctx.staticVars   // read (and checked) once, above
            case "name": play.name = try reader.optionalString(value, key)
            case "pre_tasks": play.preTasks = try parseTaskList(value, key, ctx)
            case "tasks": play.tasks = try parseTaskList(value, key, ctx)
            case "post_tasks": play.postTasks = try parseTaskList(value, key, ctx)
            case "handlers":
                var handlerContext = ctx
                handlerContext.isHandler = true
                play.handlers = try parseTaskList(value, key, handlerContext)
            case "roles":
                for entry in try reader.list(value, key) {
                    let (request, keywords, location) = try parseRoleEntry(entry)
                    play.roles.append(try loadRole(request, ctx: ctx, keywords: keywords, at: location, chain: []))
                }
            case "vars_files": play.varsFiles = try varsFiles(value)
            case "vars_prompt": play.varsPrompt = try varsPrompts(value)
            case "gather_facts": play.gatherFacts = try reader.bool(value, key)
            case "gather_subset": play.gatherSubset = try reader.value(value)
            case "gather_timeout": play.gatherTimeout = try reader.int(value, key)
            case "fact_path": play.factPath = try reader.optionalString(value, key)
            case "serial": play.serial = try serial(value)
            case "strategy": play.strategy = try reader.optionalString(value, key)
            case "max_fail_percentage": play.maxFailPercentage = try reader.percent(value, key)
            case "force_handlers": play.forceHandlers = try reader.bool(value, key)
            case "order":
                let text = try reader.string(value, key)
                guard let order = PlayOrder(rawValue: text) else {
                    throw KeelError("unknown host order '\(text)'", at: value.location,
                                    expected: PlayOrder.allCases.map(\.rawValue).joined(separator: ", "),
                                    found: "'\(text)'",
                                    suggestion: closestName(to: text, among: PlayOrder.allCases.map(\.rawValue)))
                }
                play.order = order
            default:
                _ = try reader.readCommonKeyword(key, value, into: &play.keywords, owner: "the play")
            }
        }
        // Collected with the other problems when checking, so the plays after this one are checked too.
        for problem in play.unknownNotifications() { try stepOver(problem) }
        return play
    }

    /// `serial:` a count, a percentage, a template, or a list of them (batch sizes in order).
    func serial(_ node: YAMLNode) throws -> [SerialStep] {
        let expected = "a number, a percentage such as '30%', or a list of them"
        func step(_ item: YAMLNode) throws -> SerialStep {
            switch item.kind {
            case .scalar(.int(let i)): return .count(i)
            case .scalar(.string(let s)):
                let text = s.trimmingWhitespace
                if NodeReader.isTemplate(text) { try reader.check(text, at: item.location); return .template(text) }
                if text.hasSuffix("%"), let d = Double(String(text.dropLast()).trimmingWhitespace) { return .percent(d) }
                if let i = Int(text) { return .count(i) }
            default: break
            }
            throw reader.typeError("serial", item, expected: expected)
        }
        switch node.kind {
        case .scalar(.null): return []
        case .sequence(let items): return try items.map(step)
        default: return [try step(node)]
        }
    }

    func varsFiles(_ node: YAMLNode) throws -> [VarsFile] {
        let items: [YAMLNode]
        if case .scalar(.string) = node.kind { items = [node] } else { items = try reader.list(node, "vars_files") }
        return try items.map { item in
            switch item.kind {
            case .sequence(let alternatives):
                return VarsFile(alternatives: try alternatives.map { try reader.string($0, "vars_files") }, location: item.location)
            default:
                return VarsFile(alternatives: [try reader.string(item, "vars_files")], location: item.location)
            }
        }
    }

    func varsPrompts(_ node: YAMLNode) throws -> [VarsPrompt] {
        let items: [YAMLNode]
        if node.pairs != nil { items = [node] } else { items = try reader.list(node, "vars_prompt") }
        return try items.map { item in
            let pairs = try reader.mapping(item, "vars_prompt")
            guard let namePair = pairs.first(where: { $0.key == "name" }) else {
                throw KeelError("a vars_prompt entry needs 'name'", at: item.location, expected: "'name: <variable>'",
                                found: item.shapeDescription)
            }
            var prompt = VarsPrompt(name: try reader.string(namePair.value, "name"), location: item.location)
            for pair in pairs {
                switch pair.key {
                case "name": break
                case "prompt": prompt.prompt = try reader.optionalString(pair.value, pair.key)
                case "default": prompt.default = try reader.value(pair.value)
                case "private": prompt.private = try reader.bool(pair.value, pair.key).literal ?? true
                case "confirm": prompt.confirm = try reader.bool(pair.value, pair.key).literal ?? false
                case "encrypt": prompt.encrypt = try reader.optionalString(pair.value, pair.key)
                case "salt_size": prompt.saltSize = try reader.int(pair.value, pair.key).literal
                case "salt": prompt.salt = try reader.optionalString(pair.value, pair.key)
                case "unsafe": prompt.unsafe = try reader.bool(pair.value, pair.key).literal ?? false
                default:
                    throw unknownKey(pair.key, what: "vars_prompt option", at: pair.keyLocation, candidates: VarsPrompt.keys)
                }
            }
            return prompt
        }
    }
}
