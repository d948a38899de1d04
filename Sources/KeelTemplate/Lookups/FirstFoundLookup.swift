import Foundation
import KeelBase
import OrderedCollections

/// first_found: the first existing file among candidates. Terms are file names (a string may hold several,
/// separated by `,` or `;`), lists of them, or mappings `{files, paths, skip}`; `paths` (split on `,:;`)
/// are joined with every file. Candidates are looked for through the search path: as ansible-core 2.19
/// does, `lookup('first_found')` looks in the search path's directories themselves, while `with_first_found`
/// also looks in their files/ (templates/ for template tasks, vars/ for include_vars). None found is an
/// error unless the last `skip` given (keyword or mapping term) is true, which gives an empty list.
enum FirstFoundLookup {
    static let all: [String: LookupBody] = [
        "first_found": { terms, options, environment in try firstFound(terms, options, environment) },
    ]

    static let defaults: OrderedDictionary<String, Value> = ["files": [], "paths": [], "skip": false]

    static func firstFound(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        let options = try LookupOptions("first_found", defaults: defaults, given: given)
        var last = options
        let candidates = try expand(terms.isEmpty ? [.dict(options.values)] : terms, options: options, last: &last)
        let subdirectory = environment.subdirectory ?? ""
        for candidate in candidates where !candidate.isEmpty {
            if let path = try environment.find(candidate, in: subdirectory) { return [.string(path)] }
        }
        if try last.bool("skip") { return [] }
        throw KeelError("No file was found when using first_found.", expected: "one of: " + candidates.joined(separator: ", "), found: "none")
    }

    /// Ansible's `_process_terms`: the candidate names in order; `last` ends as the options of the last
    /// mapping term (they replace the keyword options, as Ansible's set_options does).
    static func expand(_ terms: [Value], options: LookupOptions, last: inout LookupOptions) throws -> [String] {
        var search: [String] = []
        for term in terms {
            let files: [Value]
            switch term {
            case .dict(let d):
                last = try LookupOptions("first_found", defaults: defaults, given: d)
                files = last.listPreservingStrings("files")
            case .string:
                files = [term]
            case .list(let l):
                search += try expand(l, options: options, last: &last)
                continue
            default:
                throw KeelError("first_found: invalid term, can handle string, mapping or list of strings", found: term.typeName)
            }
            let fileNames = split(files, on: ",;")
            let paths = split(last.listPreservingStrings("paths"), on: ",:;")
            if !paths.isEmpty {
                for path in paths { for file in fileNames { search.append(SearchPath.join(path, file)) } }
            } else {
                search += fileNames
            }
        }
        return search
    }

    static func split(_ values: [Value], on separators: String) -> [String] {
        values.flatMap { value -> [String] in
            if let list = value.listValue { return split(list, on: separators) }
            guard let s = value.stringValue else { return [] }
            return s.split(omittingEmptySubsequences: false) { separators.contains($0) }.map(String.init)
        }
    }
}

extension LookupOptions {
    /// A list option whose strings are kept whole (first_found splits them itself, on more separators).
    func listPreservingStrings(_ key: String) -> [Value] {
        switch self[key] {
        case .null: return []
        case .list(let l): return l
        case let other: return [other]
        }
    }
}
