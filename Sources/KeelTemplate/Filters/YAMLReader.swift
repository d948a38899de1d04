import Foundation
import KeelBase
import OrderedCollections
import Yams

/// `from_yaml`: YAML 1.1 scalars as PyYAML resolves them, mappings in document order.
enum YAMLReader {
    static func parse(_ text: String) throws -> RValue {
        do {
            let parser = try Yams.Parser(yaml: text, resolver: .default, constructor: .default, encoding: .default)
            guard let node = try parser.singleRoot() else { return .none }
            return try convert(node)
        } catch let e as KeelError {
            throw e
        } catch {
            throw KeelError("from_yaml: the input is not valid YAML: \(error)")
        }
    }

    static func convert(_ node: Node) throws -> RValue {
        switch node {
        case .scalar(let scalar):
            if scalar.style != .plain { return .string(scalar.string) }
            let tag = Tag.Name(rawValue: node.tag.rawValue)  // the node resolves the implicit tag; the scalar keeps "?"
            if tag == .null { return .none }
            if tag == .bool { return Bool.construct(from: scalar).map(RValue.bool) ?? .string(scalar.string) }
            if tag == .int { return Int.construct(from: scalar).map(RValue.int) ?? .string(scalar.string) }
            if tag == .float { return Double.construct(from: scalar).map(RValue.double) ?? .string(scalar.string) }
            return .string(scalar.string)
        case .sequence(let seq): return .list(try seq.map(convert))
        case .mapping(let map):
            var d = OrderedDictionary<RValue, RValue>()
            for (k, v) in map { d[try convert(k)] = try convert(v) }
            return .dict(d)
        case .alias: throw KeelError("from_yaml: aliases are not supported")
        }
    }
}
