import Foundation
import KeelBase
import OrderedCollections

/// What `lookup()`, `query()` and `q()` do around a lookup plugin, as ansible-core 2.19's `_invoke_lookup`:
/// `wantlist` and `errors` are taken out of the keyword arguments; `errors='warn'` or `'ignore'` turn a
/// failure into None (`[]` for query); without `wantlist`, a single result is returned as it is and
/// several are joined with "," when they are all strings (a list otherwise); an empty result stays `[]`.
enum LookupCall {
    static func invoke(_ name: String, terms: [Value], kwargs: OrderedDictionary<String, Value>, alwaysList: Bool,
                       environment: LookupEnvironment) throws -> Value {
        let short = Lookups.shortName(name)
        let known = environment.library.lookups
        guard let body = known[short] else {
            throw KeelError("lookup plugin '\(name)' not found", expected: "one of: " + known.keys.sorted().joined(separator: ", "),
                            suggestion: Suggestion.closest(to: short, among: known.keys))
        }
        var options = kwargs
        let wantlist = alwaysList || (options.removeValue(forKey: "wantlist")?.ansibleBool ?? false)
        if alwaysList { options.removeValue(forKey: "wantlist") }
        let errors = options.removeValue(forKey: "errors")?.stringValue ?? "strict"
        guard ["strict", "warn", "ignore"].contains(errors) else {
            throw KeelError("lookup '\(name)': errors must be strict, warn or ignore", found: errors)
        }
        let results: [Value]
        do {
            results = try body(terms, options, environment)
        } catch let error as KeelError {
            switch errors {
            case "warn":
                environment.warn("An error occurred while running the lookup plugin '\(short)': \(error.message)")
                return wantlist ? [] : .null
            case "ignore":
                return wantlist ? [] : .null
            default:
                // A lookup failing inside another (a template lookup's template) is named once, innermost.
                if error.message.hasPrefix("the lookup plugin '") { throw error }
                throw KeelError("the lookup plugin '\(short)' failed: \(error.message)", at: error.location,
                                expected: error.expected, found: error.found, suggestion: error.suggestion)
            }
        }
        if wantlist { return .list(results) }
        switch results.count {
        case 0: return .list([])
        case 1: return results[0]
        default:
            let strings = results.compactMap(\.stringValue)
            return strings.count == results.count ? .string(strings.joined(separator: ",")) : .list(results)
        }
    }

    /// `with_<name>:` items: the lookup's whole result list (Ansible runs it with wantlist=True).
    static func loopItems(_ name: String, terms: [Value], environment: LookupEnvironment) throws -> [Value] {
        let known = environment.library.lookups
        guard let body = known[Lookups.shortName(name)] else {
            throw KeelError("with_\(name): no lookup plugin named '\(name)'", expected: "one of: " + known.keys.sorted().joined(separator: ", "),
                            suggestion: Suggestion.closest(to: name, among: known.keys))
        }
        return try body(terms, [:], environment)
    }
}
