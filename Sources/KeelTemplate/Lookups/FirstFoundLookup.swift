import Foundation
import KeelBase
import OrderedCollections

/// first_found: the first existing file among candidates. Terms are file names (a string may hold several,
/// separated by `,` or `;`), lists of them, or mappings `{files, paths, skip}`; `paths` (split on `,:;`)
/// are joined with every file. Candidates are looked for through the search path in files/ (templates/
/// or vars/ under `with_first_found` for template and include_vars tasks). None found is an error
/// unless `skip` is true, which gives an empty list.
enum FirstFoundLookup {
    static let all: [String: LookupBody] = [
        "first_found": { terms, options, environment in try firstFound(terms, options, environment) },
    ]

    static let defaults: OrderedDictionary<String, Value> = ["files": [], "paths": [], "skip": false]

    static func firstFound(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        let options = try LookupOptions("first_found", defaults: defaults, given: given)
        let candidates: [String]
        var skip = try options.bool("skip")
        if terms.isEmpty {
            (candidates, skip) = try expand([.dict(options.values)], options: options)
        } else {
            (candidates, skip) = try expand(terms, options: options)
        }
        let subdirectory = environment.subdirectory ?? "files"
        for candidate in candidates {
            if let path = try environment.find(candidate, in: subdirectory) { return [.string(path)] }
        }
        if skip { return [] }
        throw KeelError("No file was found when using first_found.", expected: "one of: " + candidates.joined(separator: ", "), found: "none")
    }

    /// Ansible's `_process_terms`: the candidate names in order, and the last `skip` given.
    static func expand(_ terms: [Value], options: LookupOptions) throws -> ([String], Bool) {
        var search: [String] = []
        var skip = try options.bool("skip")
        for term in terms {
            var current = options
            let files: [Value]
            switch term {
            case .dict(let d):
                current = try LookupOptions("first_found", defaults: defaults, given: d)
                files = current.listPreservingStrings("files")
            case .string:
                files = [term]
            case .list(let l):
                let (partial, innerSkip) = try expand(l, options: options)
                search += partial
                skip = innerSkip
                continue
            default:
                throw KeelError("first_found: invalid term, can handle string, mapping or list of strings", found: term.typeName)
            }
            skip = try current.bool("skip")
            let fileNames = split(files, on: ",;")
            let paths = split(current.listPreservingStrings("paths"), on: ",:;")
            if !paths.isEmpty {
                for path in paths { for file in fileNames { search.append(SearchPath.join(path, file)) } }
            } else {
                search += fileNames
            }
        }
        return (search, skip)
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
