import KeelBase

/// Reads Ansible's YAML inventory format: top-level keys are groups; each group may have `hosts`
/// (a mapping of host patterns to their variables), `vars` and `children` (nested groups, recursively).
struct YAMLInventoryParser {
    let file: String

    func parse(_ root: YAMLNode, into graph: inout InventoryGraph, warnings: inout [String]) throws {
        guard let pairs = root.pairs, !pairs.isEmpty else {
            throw KeelError("a YAML inventory must be a mapping of group names", at: root.location,
                            expected: "a mapping such as 'all: {hosts: …}'", found: root.shapeDescription)
        }
        if root["plugin"] != nil {
            throw KeelError("inventory plugin configuration files are not supported", at: root.location,
                            expected: "a YAML inventory (groups with hosts, vars, children)", found: "a 'plugin:' key")
        }
        for pair in pairs { _ = try parseGroup(pair.key, pair.value, keyLocation: pair.keyLocation, graph: &graph, warnings: &warnings) }
    }

    private func parseGroup(_ name: String, _ node: YAMLNode, keyLocation: SourceLocation,
                            graph: inout InventoryGraph, warnings: inout [String]) throws -> String? {
        if let scalar = node.scalar, !scalar.isNull {
            warnings.append("\(keyLocation): skipping '\(name)' as this is not a valid group definition")
            return nil
        }
        if node.items != nil {
            warnings.append("\(keyLocation): skipping '\(name)' as this is not a valid group definition")
            return nil
        }
        graph.addGroup(name)
        for pair in node.pairs ?? [] {
            var section = pair.value
            if ["vars", "children", "hosts"].contains(pair.key) {
                // A bare string is allowed and means a one-entry mapping.
                if case .scalar(.string(let s)) = section.kind {
                    section = YAMLNode(kind: .mapping([YAMLPair(key: s, keyLocation: section.location,
                                                                value: YAMLNode(kind: .scalar(.null), location: section.location))]),
                                       location: section.location)
                } else if section.items != nil || (section.scalar != nil && !section.scalar!.isNull) {
                    throw KeelError("invalid '\(pair.key)' entry for group '\(name)'", at: section.location,
                                    expected: "a mapping", found: section.shapeDescription)
                }
            }
            guard let entries = section.pairs else {
                if section.scalar?.isNull != true {
                    warnings.append("\(pair.keyLocation): skipping key '\(pair.key)' in group '\(name)' as it is not a mapping")
                }
                continue
            }
            switch pair.key {
            case "vars":
                for entry in entries { try graph.setVariable(entry.key, to: entry.value.value, on: name) }
            case "children":
                for entry in entries {
                    if let child = try parseGroup(entry.key, entry.value, keyLocation: entry.keyLocation, graph: &graph, warnings: &warnings) {
                        do { try graph.addChild(child, to: name) } catch let e as KeelError { throw e.located(at: entry.keyLocation) }
                    }
                }
            case "hosts":
                for entry in entries {
                    let variables = entry.value
                    if variables.scalar == nil || !(variables.scalar!.isNull) {
                        guard variables.pairs != nil else {
                            throw KeelError("the variables of host '\(entry.key)' must be a mapping", at: variables.location,
                                            expected: "a mapping of variable names to values (or nothing)", found: variables.shapeDescription)
                        }
                    }
                    do {
                        let (pattern, port) = HostAddress.split(entry.key)
                        for host in try HostRange.expand(pattern) {
                            try graph.addHost(host, to: name, port: port)
                            for v in variables.pairs ?? [] { try graph.setVariable(v.key, to: v.value.value, on: host) }
                        }
                    } catch let e as KeelError {
                        throw e.located(at: entry.keyLocation)
                    }
                }
            default:
                warnings.append("\(pair.keyLocation): skipping unexpected key '\(pair.key)' in group '\(name)', only 'vars', 'children' and 'hosts' are valid"
                                + (Suggestion.closest(to: pair.key, among: ["vars", "children", "hosts"]).map { " (did you mean '\($0)'?)" } ?? ""))
            }
        }
        return name
    }
}
