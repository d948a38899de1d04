import KeelBase
import OrderedCollections

/// `loop:`, `with_*:` and `loop_control:` of a task.
extension PlaybookLoader {

    func loopItems(_ node: YAMLNode) throws -> Value {
        switch node.kind {
        case .sequence: return try reader.value(node)
        case .scalar(.string(let s)) where NodeReader.isTemplate(s): return try reader.value(node)
        default: throw reader.typeError("loop", node, expected: "a list or a template producing one")
        }
    }

    func withItems(_ node: YAMLNode, _ key: String) throws -> Value { try reader.value(node) }

    func loopControl(_ node: YAMLNode) throws -> LoopControl {
        var control = LoopControl(location: node.location)
        for pair in try reader.mapping(node, "loop_control") {
            switch pair.key {
            case "loop_var": control.loopVar = try reader.string(pair.value, pair.key)
            case "index_var": control.indexVar = try reader.string(pair.value, pair.key)
            case "label": control.label = try reader.string(pair.value, pair.key)
            case "pause": control.pause = try reader.value(pair.value)
            case "extended": control.extended = try reader.bool(pair.value, pair.key)
            case "extended_allitems": control.extendedAllitems = try reader.bool(pair.value, pair.key)
            case "break_when": control.breakWhen = try reader.conditionals(pair.value, pair.key)
            default:
                throw unknownKey(pair.key, what: "loop_control option", at: pair.keyLocation, candidates: LoopControl.keys)
            }
        }
        return control
    }
}
