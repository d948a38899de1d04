import KeelBase

extension NodeReader {
    /// Reads one of the shared keywords into `keywords`; false when `key` is not one of them.
    func readCommonKeyword(_ key: String, _ node: YAMLNode, into k: inout Keywords, owner: String) throws -> Bool {
        switch key {
        case "when": k.when = try conditionals(node, key)
        case "tags": k.tags = try tags(node)
        case "vars": k.vars = try vars(node, owner: owner)
        case "become": k.become = try bool(node, key)
        case "become_user": k.becomeUser = try optionalString(node, key)
        case "become_method": k.becomeMethod = try optionalString(node, key)
        case "become_flags": k.becomeFlags = try optionalString(node, key)
        case "become_exe": k.becomeExe = try optionalString(node, key)
        case "check_mode": k.checkMode = try bool(node, key)
        case "diff": k.diff = try bool(node, key)
        case "environment":
            switch node.kind {
            case .mapping, .sequence: k.environment = try value(node)
            case .scalar(.string(let s)) where Self.isTemplate(s): k.environment = try value(node)
            case .scalar(.null): k.environment = nil
            default: throw typeError(key, node, expected: "a mapping of variables, a list of them, or a template")
            }
        case "ignore_errors": k.ignoreErrors = try bool(node, key)
        case "ignore_unreachable": k.ignoreUnreachable = try bool(node, key)
        case "no_log": k.noLog = try bool(node, key)
        case "run_once": k.runOnce = try bool(node, key)
        case "any_errors_fatal": k.anyErrorsFatal = try bool(node, key)
        case "throttle": k.throttle = try int(node, key)
        case "timeout": k.timeout = try int(node, key)
        case "delegate_to": k.delegateTo = try optionalString(node, key)
        case "delegate_facts": k.delegateFacts = try bool(node, key)
        case "connection": k.connection = try optionalString(node, key)
        case "remote_user": k.remoteUser = try optionalString(node, key)
        case "port": k.port = try int(node, key)
        case "module_defaults":
            switch node.kind {
            case .mapping, .sequence, .scalar(.null): k.moduleDefaults = try value(node)
            default: throw typeError(key, node, expected: "a mapping of module names to default arguments")
            }
        case "collections": k.collections = try stringList(node, key)
        case "debugger": break   // accepted and ignored: Keel has no interactive debugger
        default: return false
        }
        return true
    }
}
