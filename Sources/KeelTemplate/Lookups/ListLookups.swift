import KeelBase
import OrderedCollections

/// The lookups that only reshape their terms: items, list, flattened, dict, indexed_items, together,
/// nested (cartesian), subelements, random_choice. Their `with_` forms are the classic loops.
enum ListLookups {
    static let all: [String: LookupBody] = [
        "items": { terms, _, _ in flattenOnce(terms) },
        "list": { terms, _, _ in terms },
        "flattened": { terms, _, _ in flattenAll(terms) },
        "dict": { terms, _, _ in try dict(terms) },
        "indexed_items": { terms, _, _ in flattenOnce(terms).enumerated().map { [.int($0.offset), $0.element] } },
        "together": { terms, _, _ in try together(terms) },
        "nested": { terms, _, _ in try nested(terms, name: "nested") },
        "cartesian": { terms, _, _ in try nested(terms, name: "cartesian") },
        "subelements": { terms, _, _ in try subelements(terms) },
        // random_choice: one of the terms, picked anew every time (nothing is kept between runs).
        "random_choice": { terms, _, _ in terms.randomElement().map { [$0] } ?? [] },
    ]

    /// Ansible's `LookupBase._flatten`: lists among the terms give their elements, other terms themselves.
    static func flattenOnce(_ terms: [Value]) -> [Value] {
        terms.flatMap { $0.listValue ?? [$0] }
    }

    /// with_flattened: every level of nesting removed.
    static func flattenAll(_ terms: [Value]) -> [Value] {
        terms.flatMap { term -> [Value] in
            if let list = term.listValue { return flattenAll(list) }
            return [term]
        }
    }

    /// with_dict: each mapping's entries as `{key, value}`.
    static func dict(_ terms: [Value]) throws -> [Value] {
        try terms.flatMap { term -> [Value] in
            guard let d = term.dictValue else { throw KeelError("with_dict expects a dict", expected: "a mapping", found: term.typeName) }
            return d.map { ["key": .string($0.key), "value": $0.value] }
        }
    }

    /// with_together: the lists zipped, shorter ones padded with None; list elements of a row flattened once.
    static func together(_ terms: [Value]) throws -> [Value] {
        let lists = terms.map { $0.listValue ?? [$0] }
        guard !lists.isEmpty else { throw KeelError("with_together requires at least one element in each list") }
        let count = lists.map(\.count).max() ?? 0
        return (0..<count).map { i in .list(flattenOnce(lists.map { i < $0.count ? $0[i] : .null })) }
    }

    /// with_nested: every combination, the first list varying slowest; list elements flattened into the row.
    static func nested(_ terms: [Value], name: String) throws -> [Value] {
        let lists = terms.map { $0.listValue ?? [$0] }
        guard !lists.isEmpty else { throw KeelError("with_\(name) requires at least one element in the nested list") }
        var rows: [[Value]] = lists[0].map { $0.listValue ?? [$0] }
        for list in lists.dropFirst() {
            rows = rows.flatMap { row in list.map { row + ($0.listValue ?? [$0]) } }
        }
        return rows.map { .list($0) }
    }

    /// with_subelements: `[list or dict of records, 'key.path', {skip_missing: bool}]` gives `[record, element]`
    /// for each element of each record's list; the list itself is removed from the record, as Ansible pops it.
    static func subelements(_ terms: [Value]) throws -> [Value] {
        let usage = "a list of two or three items: a list (or dict) of dicts, a key name, optionally {skip_missing: true}"
        guard (2...3).contains(terms.count) else {
            throw KeelError("subelements lookup expects a list of two or three items", expected: usage, found: "\(terms.count) items")
        }
        guard let path = terms[1].stringValue else { throw KeelError("subelements lookup: the second item must be a key name", expected: usage, found: terms[1].typeName) }
        let records: [Value]
        switch terms[0] {
        case .list(let l): records = l
        case .dict(let d):
            if let skipped = d["skipped"], skipped != .bool(false) { return [] }
            records = Array(d.values)
        default: throw KeelError("subelements lookup: the first item must be a list or dict", expected: usage, found: terms[0].typeName)
        }
        var skipMissing = false
        if terms.count == 3 {
            guard let flags = terms[2].dictValue, flags.keys.allSatisfy({ $0 == "skip_missing" }) else {
                throw KeelError("subelements lookup: the optional third item must be a dict with flags ['skip_missing']", found: terms[2].typeName)
            }
            skipMissing = flags["skip_missing"]?.ansibleBool ?? false
        }
        let keys = path.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var result: [Value] = []
        for record in records {
            guard case .dict(let fields) = record else {
                throw KeelError("subelements lookup expects a dictionary, got '\(record.jsonString())'")
            }
            if let skipped = fields["skipped"], skipped != .bool(false) { continue }
            var owner = record
            guard let elements = try popList(&owner, keys: keys[...], skipMissing: skipMissing) else { continue }
            result += elements.map { .list([owner, $0]) }
        }
        return result
    }

    /// The list at `keys` inside `value`, removed from it; nil when skipped as missing.
    private static func popList(_ value: inout Value, keys: ArraySlice<String>, skipMissing: Bool) throws -> [Value]? {
        guard let key = keys.first, case .dict(var fields) = value else { return nil }
        guard let inner = fields[key] else {
            if skipMissing { return nil }
            throw KeelError("could not find '\(key)' key in iterated item '\(value.jsonString())'")
        }
        if keys.count == 1 {
            guard let list = inner.listValue else { throw KeelError("the key \(key) should point to a list, got '\(inner.jsonString())'") }
            fields.removeValue(forKey: key)
            value = .dict(fields)
            return list
        }
        guard case .dict = inner else {
            if skipMissing { return nil }
            throw KeelError("the key \(key) should point to a dictionary, got '\(inner.jsonString())'")
        }
        var child = inner
        let list = try popList(&child, keys: keys.dropFirst(), skipMissing: skipMissing)
        if list != nil { fields[key] = child; value = .dict(fields) }
        return list
    }
}
