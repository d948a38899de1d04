import Foundation
import KeelBase
import KeelModel
import OrderedCollections

/// The items of `loop:` and the `with_<lookup>:` forms, as Ansible computes them.
enum LoopItems {
    /// `searchPaths`: the task's role and playbook directories, where relative `with_fileglob` patterns look.
    static func resolve(_ loop: LoopSpec, in scope: VariableScope, searchPaths: [String] = []) throws -> [Value] {
        let rendered = try scope.render(loop.items, origin: loop.location)
        switch loop.kind {
        case .loop:
            guard case .list(let items) = rendered else {
                throw KeelError("loop needs a list", at: loop.location, expected: "a list (use dict2items for a mapping)", found: rendered.typeName)
            }
            return items
        case .with(let lookup):
            switch lookup {
            case "items":
                // with_items flattens one level.
                let list = rendered.listValue ?? [rendered]
                return list.flatMap { $0.listValue ?? [$0] }
            case "list":
                return rendered.listValue ?? [rendered]
            case "flattened":
                func flatten(_ v: Value) -> [Value] { v.listValue?.flatMap(flatten) ?? [v] }
                return flatten(rendered)
            case "dict":
                guard case .dict(let d) = rendered else { throw KeelError("with_dict needs a mapping", at: loop.location, found: rendered.typeName) }
                return d.map { ["key": .string($0.key), "value": $0.value] }
            case "indexed_items":
                return (rendered.listValue ?? []).enumerated().map { [.int($0.offset), $0.element] }
            case "together":
                let lists = (rendered.listValue ?? []).map { $0.listValue ?? [$0] }
                let count = lists.map(\.count).max() ?? 0
                return (0..<count).map { i in .list(lists.map { i < $0.count ? $0[i] : .null }) }
            case "nested", "cartesian":
                let lists = (rendered.listValue ?? []).map { $0.listValue ?? [$0] }
                var product: [[Value]] = [[]]
                for list in lists { product = product.flatMap { prefix in list.map { prefix + [$0] } } }
                return product.map { .list($0) }
            case "sequence":
                return try sequence(rendered, at: loop.location)
            case "fileglob":
                let patterns = rendered.listValue ?? [rendered]
                return patterns.compactMap(\.stringValue).flatMap { glob(FileGlobBase.pattern($0, searchPaths: searchPaths)) }.map(Value.string)
            case "subelements":
                guard let parts = rendered.listValue, parts.count >= 2, let list = parts[0].listValue, let key = parts[1].stringValue else {
                    throw KeelError("with_subelements needs [list, 'key']", at: loop.location)
                }
                return list.flatMap { element in (element[key]?.listValue ?? []).map { .list([element, $0]) } }
            default:
                throw KeelError("with_\(lookup) is not supported", at: loop.location,
                                expected: "loop:, or with_items/list/dict/fileglob/sequence/together/nested/subelements/indexed_items/flattened")
            }
        }
    }

    /// with_sequence: "start=1 end=5 format=web%02d" or "count=3".
    static func sequence(_ value: Value, at location: SourceLocation) throws -> [Value] {
        var start = 1, end: Int?, stride = 1, format = "%d"
        let text = value.stringValue ?? ""
        for part in text.split(separator: " ") {
            let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 {
                switch kv[0] {
                case "start": start = Int(kv[1]) ?? 1
                case "end": end = Int(kv[1])
                case "count": end = (Int(kv[1]) ?? 0) + start - 1
                case "stride": stride = Int(kv[1]) ?? 1
                case "format": format = kv[1]
                default: break
                }
            } else if let dash = part.firstIndex(of: "-"), let a = Int(part[..<dash]), let b = Int(part[part.index(after: dash)...]) {
                start = a; end = b
            } else if let n = Int(part) { end = n }
        }
        guard let last = end, stride != 0 else { throw KeelError("with_sequence needs an end or count", at: location) }
        return Swift.stride(from: start, through: last, by: stride).map { .string(String(format: format, $0)) }
    }

    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Foundation.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }
            .filter { var d: ObjCBool = false; return FileManager.default.fileExists(atPath: $0, isDirectory: &d) && !d.boolValue }
    }
}
