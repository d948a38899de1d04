import KeelBase
import OrderedCollections

/// The module call of a task: its arguments in every form Ansible accepts, normalised as its
/// ModuleArgsParser does.
extension PlaybookLoader {

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
        try stepOver(KeelError("unknown module '\(written)'", at: location, expected: "a module Keel knows",
                               found: "'\(written)'",
                               suggestion: closestName(to: written, among: catalog.allNames + Array(KeywordTable.loaderActions))))
        return written
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
        // An unknown module (recorded while collecting problems) says nothing about its arguments.
        if !isKnownAction(call.canonical) { return }
        if catalog.takesFreeForm(call.canonical) || KeywordTable.loaderActions.contains(call.canonical) { return }
        if NodeReader.isTemplate(raw) && call.args.values.count == 1 {
            // Ansible: `debug: "{{ args }}"` means "these variables are my arguments".
            return
        }
        throw KeelError("module '\(call.written)' does not take free-form arguments", at: call.args.location,
                        expected: "key=value arguments or a mapping", found: "'\(raw)'")
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
