import Foundation
import KeelBase
import OrderedCollections

/// Filters over lists and dicts: sorting, selecting, mapping, set operations, combining.
enum CollectionFilters {
    static let all: [String: FilterBody] = [
        "sort": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let reverse = try args.bool(0, "reverse", false)
            let caseSensitive = try args.bool(1, "case_sensitive", false)
            let attrs = try args.optionalString(2, "attribute")?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            var items = try Operators.iterate(v)
            func key(_ item: RValue) throws -> RValue {
                if attrs.isEmpty { return BuiltinFilters.sortKey(item, caseSensitive) }
                return .tuple(try attrs.map { BuiltinFilters.sortKey(try Operators.defined(try item.path($0)), caseSensitive) })
            }
            let keys = try items.map(key)
            var order = Array(items.indices)
            try BuiltinFilters.stableSort(&order) { x, y in
                let c = try Operators.ordering(keys[x], keys[y])
                return reverse ? c > 0 : c < 0
            }
            items = order.map { items[$0] }
            return .list(items)
        },
        "unique": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let caseSensitive = try args.bool(0, "case_sensitive", false)
            let attr = try args.optionalString(1, "attribute")
            var seen = Set<RValue>()
            var out: [RValue] = []
            for item in try Operators.iterate(v) {
                let key = BuiltinFilters.sortKey(try attr.map { try item.path($0) } ?? item, caseSensitive)
                if seen.insert(key).inserted { out.append(item) }
            }
            return .list(out)
        },
        "min": { v, a, k, _ in try extreme(v, FilterArguments(a, k), wantMax: false) },
        "max": { v, a, k, _ in try extreme(v, FilterArguments(a, k), wantMax: true) },
        "map": { v, a, k, r in
            let items = try Operators.iterate(v)
            if let attr = k["attribute"] {
                let path = try attr.pythonStr()
                let def = k["default"]
                return .list(try items.map { item in
                    let x = try item.path(path)
                    if x.isUndefined, let def { return def }
                    return x
                })
            }
            guard let name = a.first else { return .list(items) }
            let filterName = try name.pythonStr()
            return .list(try items.map { try r.library.filter(filterName, $0, Array(a.dropFirst()), k, renderer: r) })
        },
        "select": { v, a, k, r in .list(try selectItems(v, a, k, r, attribute: false, keep: true)) },
        "reject": { v, a, k, r in .list(try selectItems(v, a, k, r, attribute: false, keep: false)) },
        "selectattr": { v, a, k, r in .list(try selectItems(v, a, k, r, attribute: true, keep: true)) },
        "rejectattr": { v, a, k, r in .list(try selectItems(v, a, k, r, attribute: true, keep: false)) },
        "combine": { v, a, k, _ in
            let recursive = try k["recursive"].map(Operators.truthy) ?? false
            let listMerge = try k["list_merge"]?.pythonStr() ?? "replace"
            guard ["replace", "keep", "append", "prepend", "append_rp", "prepend_rp"].contains(listMerge) else {
                throw KeelError("'\(listMerge)' is not a valid list_merge value")
            }
            var dicts: [RValue] = [v]
            for x in a { if let l = x.sequence { dicts += l } else { dicts.append(x) } }
            var result = OrderedDictionary<RValue, RValue>()
            for d in dicts {
                guard case .dict(let dd) = try Operators.defined(d) else {
                    throw KeelError("failed to combine variables, expected dicts but got a '\(d.typeName)'")
                }
                result = merge(result, dd, recursive: recursive, listMerge: listMerge)
            }
            return .dict(result)
        },
        "dict2items": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let keyName = try args.string(0, "key_name", "key"), valueName = try args.string(1, "value_name", "value")
            guard case .dict(let d) = v else { throw KeelError("dict2items requires a dictionary, got \(v.typeName) instead.") }
            return .list(d.map { .dict([.string(keyName): $0.key, .string(valueName): $0.value]) })
        },
        "items2dict": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let keyName = try args.string(0, "key_name", "key"), valueName = try args.string(1, "value_name", "value")
            guard let items = v.sequence else { throw KeelError("items2dict requires a list, got \(v.typeName) instead.") }
            var d = OrderedDictionary<RValue, RValue>()
            for item in items {
                guard case .dict(let e) = item else { throw KeelError("items2dict requires a list of dictionaries, got \(item.typeName) instead.") }
                guard let key = e[.string(keyName)], let value = e[.string(valueName)] else {
                    throw KeelError("items2dict requires each dictionary in the list to contain the keys '\(keyName)' and '\(valueName)', got \(try item.pythonRepr()) instead.")
                }
                d[key] = value
            }
            return .dict(d)
        },
        "zip": { v, a, _, _ in
            let lists = try ([v] + a).map(Operators.iterate)
            let n = lists.map(\.count).min() ?? 0
            return .list((0..<n).map { i in .tuple(lists.map { $0[i] }) })
        },
        "zip_longest": { v, a, k, _ in
            let lists = try ([v] + a).map(Operators.iterate)
            let fill = k["fillvalue"] ?? .none
            let n = lists.map(\.count).max() ?? 0
            return .list((0..<n).map { i in .tuple(lists.map { i < $0.count ? $0[i] : fill }) })
        },
        "union": { v, a, _, _ in .list(pythonSetOrder(uniqueOrdered(try Operators.iterate(v) + Operators.iterate(a.first ?? .list([]))))) },
        "intersect": { v, a, _, _ in
            let other = try Operators.iterate(a.first ?? .list([]))
            return .list(pythonSetOrder(uniqueOrdered(try Operators.iterate(v).filter { other.contains($0) })))
        },
        "difference": { v, a, _, _ in
            let other = try Operators.iterate(a.first ?? .list([]))
            return .list(pythonSetOrder(uniqueOrdered(try Operators.iterate(v).filter { !other.contains($0) })))
        },
        "symmetric_difference": { v, a, _, _ in
            let mine = try Operators.iterate(v), other = try Operators.iterate(a.first ?? .list([]))
            let union = uniqueOrdered(mine + other)
            return .list(pythonSetOrder(union.filter { !(mine.contains($0) && other.contains($0)) }))
        },
        "flatten": { v, a, k, _ in
            let args = FilterArguments(a, k)
            let levels = args[0, "levels"].flatMap { $0.isNone ? nil : try? Conversions.toIntStrict($0) }
            let skipNulls = try args.bool(1, "skip_nulls", true)
            return .list(try flatten(try Operators.iterate(v), levels: levels, skipNulls: skipNulls))
        },
        "product": { v, a, k, _ in
            var pools = try ([v] + a).map(Operators.iterate)
            if let r = k["repeat"] { let n = try Conversions.toIntStrict(r); pools = Array(Array(repeating: pools, count: n).joined()) }
            var result: [[RValue]] = [[]]
            for pool in pools { result = result.flatMap { prefix in pool.map { prefix + [$0] } } }
            return .list(result.map { .tuple($0) })
        },
        "permutations": { v, a, k, _ in
            let items = try Operators.iterate(v)
            let r = try FilterArguments(a, k).int(0, "r", items.count)
            var out: [RValue] = []
            func build(_ prefix: [Int]) {
                if prefix.count == r { out.append(.tuple(prefix.map { items[$0] })); return }
                for i in items.indices where !prefix.contains(i) { build(prefix + [i]) }
            }
            if r <= items.count { build([]) }
            return .list(out)
        },
        "combinations": { v, a, k, _ in
            let items = try Operators.iterate(v)
            let r = try FilterArguments(a, k).int(0, "r", 0)
            var out: [RValue] = []
            func build(_ start: Int, _ prefix: [RValue]) {
                if prefix.count == r { out.append(.tuple(prefix)); return }
                guard start < items.count else { return }
                for i in start..<items.count { build(i + 1, prefix + [items[i]]) }
            }
            build(0, [])
            return .list(out)
        },
        "subelements": { v, a, k, _ in
            let path = try FilterArguments(a, k).string(0, "subelements", "")
            let skipMissing = try FilterArguments(a, k).bool(1, "skip_missing", false)
            var out: [RValue] = []
            for item in try Operators.iterate(v) {
                let sub = try item.path(path)
                if sub.isUndefined { if skipMissing { continue }; throw KeelError("could not find '\(path)' key in iterated item '\(try item.pythonRepr())'") }
                for s in try Operators.iterate(sub) { out.append(.tuple([item, s])) }
            }
            return .list(out)
        },
    ]

    static func extreme(_ v: RValue, _ args: FilterArguments, wantMax: Bool) throws -> RValue {
        let caseSensitive = try args.bool(0, "case_sensitive", false)
        let attr = try args.optionalString(1, "attribute")
        let items = try Operators.iterate(v)
        guard var best = items.first else { return .undefined(UndefinedValue(message: "No aggregated item, sequence was empty.")) }
        func key(_ x: RValue) throws -> RValue { BuiltinFilters.sortKey(try attr.map { try x.path($0) } ?? x, caseSensitive) }
        for item in items.dropFirst() {
            let c = try Operators.ordering(try key(item), try key(best))
            if wantMax ? c > 0 : c < 0 { best = item }
        }
        return best
    }

    static func selectItems(_ v: RValue, _ a: [RValue], _ k: KeywordArguments, _ r: Renderer, attribute: Bool, keep: Bool) throws -> [RValue] {
        var args = a
        var attr: String? = nil
        if attribute {
            guard !args.isEmpty else { throw KeelError("Missing parameter for attribute name") }
            attr = try args.removeFirst().pythonStr()
        }
        let testName = args.isEmpty ? nil : try args.removeFirst().pythonStr()
        return try Operators.iterate(v).filter { item in
            let subject = try attr.map { try item.path($0) } ?? item
            let ok: Bool
            if let testName { ok = try r.library.test(testName, subject, args, k, renderer: r) }
            else { ok = try Operators.truthy(subject) }
            return ok == keep
        }
    }

    static func merge(_ a: OrderedDictionary<RValue, RValue>, _ b: OrderedDictionary<RValue, RValue>, recursive: Bool, listMerge: String) -> OrderedDictionary<RValue, RValue> {
        var result = a
        for (key, new) in b {
            guard let old = result[key] else { result[key] = new; continue }
            if recursive, case .dict(let x) = old, case .dict(let y) = new {
                result[key] = .dict(merge(x, y, recursive: true, listMerge: listMerge))
            } else if case .list(let x) = old, case .list(let y) = new {
                switch listMerge {
                case "keep": result[key] = old
                case "append": result[key] = .list(x + y)
                case "prepend": result[key] = .list(y + x)
                case "append_rp": result[key] = .list(x.filter { !y.contains($0) } + y)
                case "prepend_rp": result[key] = .list(y + x.filter { !y.contains($0) })
                default: result[key] = new
                }
            } else {
                result[key] = new
            }
        }
        return result
    }

    /// Ansible computes these through Python sets. Small non-negative integers come out of a set in
    /// ascending order; for anything else Python's order depends on string hashing (randomised per
    /// process), so no playbook can rely on it and first-seen order is as good as any.
    static func pythonSetOrder(_ items: [RValue]) -> [RValue] {
        var ints: [Int] = []
        for item in items {
            guard case .int(let i) = item, i >= 0, i < 8 * Swift.max(items.count, 1) else { return items }
            ints.append(i)
        }
        return ints.sorted().map { .int($0) }
    }

    static func uniqueOrdered(_ items: [RValue]) -> [RValue] {
        var seen = Set<RValue>()
        return items.filter { seen.insert($0).inserted }
    }

    /// Ansible's `flatten`: `levels` counts how deep to go; nulls are dropped unless asked otherwise.
    static func flatten(_ items: [RValue], levels: Int?, skipNulls: Bool) throws -> [RValue] {
        var out: [RValue] = []
        for item in items {
            if skipNulls, item.isNone || item == .string("None") || item == .string("null") { continue }
            if let inner = item.sequence {
                if let levels {
                    if levels >= 1 { out += try flatten(inner, levels: levels - 1, skipNulls: skipNulls) } else { out.append(item) }
                } else {
                    out += try flatten(inner, levels: nil, skipNulls: skipNulls)
                }
            } else {
                out.append(item)
            }
        }
        return out
    }
}
