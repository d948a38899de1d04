import Foundation
import KeelBase
import OrderedCollections

/// Lookups that read values rather than files: env (the controller's environment), vars, varnames and
/// config (a few of ansible-core's settings).
enum VariableLookups {
    static let all: [String: LookupBody] = [
        "env": { terms, options, _ in try env(terms, options) },
        "vars": { terms, options, environment in try vars(terms, options, environment) },
        "varnames": { terms, _, environment in try varnames(terms, environment) },
        "config": { terms, options, _ in try config(terms, options) },
    ]

    /// env: each term's first word names a controller environment variable; unset gives `default` ('').
    static func env(_ terms: [Value], _ given: OrderedDictionary<String, Value>) throws -> [Value] {
        let options = try LookupOptions("env", defaults: ["default": ""], given: given)
        let environment = ProcessInfo.processInfo.environment
        return try terms.map { term in
            let name = try term.lookupTerm("env").split(separator: " ").first.map(String.init) ?? ""
            return environment[name].map(Value.string) ?? options["default"]
        }
    }

    /// vars: each term names a variable, templated as the task sees it; `default` for undefined ones.
    static func vars(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        let hasDefault = given["default"] != nil
        let options = try LookupOptions("vars", defaults: ["default": .null], given: given)
        return try terms.map { term in
            guard case .string(let name) = term else {
                throw KeelError("Invalid setting identifier, \"\(term.jsonString())\" is not a string, it is a \(term.typeName)")
            }
            if let value = try environment.variable(name) { return value }
            if let hostName = try environment.variable("inventory_hostname")?.stringValue,
               let value = try environment.variable("hostvars")?[hostName]?[name] {
                return value
            }
            if hasDefault { return options["default"] }
            throw KeelError("No variable named '\(name)' was found.", found: name)
        }
    }

    /// varnames: the names of the variables matching any term's regular expression (Python `re.search`).
    static func varnames(_ terms: [Value], _ environment: LookupEnvironment) throws -> [Value] {
        let names = try environment.context.variableNames()
        var result: [Value] = []
        for term in terms {
            guard case .string(let pattern) = term else {
                throw KeelError("Invalid setting identifier, \"\(term.jsonString())\" is not a string, it's a \(term.typeName)")
            }
            let regex = try PythonRegex.compile(pattern)
            for name in names where !PythonRegex.matches(regex, name, limit: 1).isEmpty { result.append(.string(name)) }
        }
        return result
    }

    /// config: ansible-core's settings by name, with their ANSIBLE_* environment variables over Ansible's
    /// defaults. Keel knows the common ones (ConfigSettings); `on_missing` decides about the rest.
    static func config(_ terms: [Value], _ given: OrderedDictionary<String, Value>) throws -> [Value] {
        let options = try LookupOptions("config", defaults: ["on_missing": "error", "plugin_type": .null, "plugin_name": .null, "show_origin": false], given: given)
        let onMissing = options.string("on_missing") ?? "error"
        guard ["error", "warn", "skip"].contains(onMissing) else {
            throw KeelError("lookup 'config': on_missing must be error, warn or skip", found: onMissing)
        }
        if options["plugin_type"] != .null || options["plugin_name"] != .null {
            throw KeelError("lookup 'config': plugin settings (plugin_type, plugin_name) are not supported by Keel", found: options.string("plugin_name") ?? "")
        }
        var result: [Value] = []
        for term in terms {
            let name = try term.lookupTerm("config")
            guard let value = ConfigSettings.value(name) else {
                if onMissing == "error" {
                    throw KeelError("Unable to find setting \(name)", expected: "one of " + ConfigSettings.known.joined(separator: ", "), found: name)
                }
                if onMissing == "warn" { FileHandle.standardError.write(Data("[WARNING]: Skipping, did not find setting \(name)\n".utf8)) }
                continue
            }
            result.append(try options.bool("show_origin") ? [value, "default"] : value)
        }
        return result
    }
}
