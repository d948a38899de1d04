import Foundation
import KeelBase
import OrderedCollections

/// ansible-core's ArgumentSpecValidator as validate_argument_spec and roles' meta/argument_specs.yml use it:
/// aliases, unsupported parameters, required, types (str, int, float, bool, list, dict, path, raw; no type
/// means str), elements, choices and nested `options`, with Ansible's error texts. It only validates: the
/// specs' `default` values are never set as variables (as in ansible-core, whose converted values are
/// dropped too).
struct RoleArgumentValidator {
    let spec: OrderedDictionary<String, Value>

    /// Every error, in Ansible's order (unsupported parameters last).
    func errors(_ parameters: OrderedDictionary<String, Value>) -> [String] {
        var errors: [String] = []
        var unsupported: [(name: String, supported: [String])] = []
        validate(spec, parameters, context: [], errors: &errors, unsupported: &unsupported)
        if !unsupported.isEmpty {
            let names = unsupported.map(\.name).sorted().joined(separator: ", ")
            errors.append("\(names). Supported parameters include: \(unsupported.last!.supported.sorted().joined(separator: ", ")).")
        }
        return errors
    }

    private func validate(_ spec: OrderedDictionary<String, Value>, _ given: OrderedDictionary<String, Value>, context: [String],
                          errors: inout [String], unsupported: inout [(name: String, supported: [String])]) {
        var parameters = given
        let found = context.isEmpty ? "" : " found in \(context.joined(separator: " -> "))"
        var legal = Set(spec.keys)
        for (name, option) in spec {
            for alias in option["aliases"]?.listValue?.compactMap(\.stringValue) ?? [] {
                legal.insert(alias)
                if parameters[name] == nil, let value = parameters[alias] { parameters[name] = value }
            }
        }
        for key in given.keys where !legal.contains(key) {
            unsupported.append((context.isEmpty ? key : (context + [key]).joined(separator: "."), Array(spec.keys)))
        }
        let missing = spec.filter { $0.value["required"]?.isTruthy == true && parameters[$0.key] == nil }.map(\.key)
        if !missing.isEmpty { errors.append("missing required arguments: \(missing.sorted().joined(separator: ", "))\(found)") }
        let inContext = context.isEmpty ? "" : " found in '\(context.joined(separator: " -> "))'."
        for (name, option) in spec {
            guard let value = parameters[name] else { continue }
            if value == .null, option["required"]?.isTruthy != true, option["default"] == nil || option["default"] == .null { continue }
            let type = option["type"]?.stringValue ?? "str"
            do {
                var converted = try Self.convert(value, to: type)
                if let elements = option["elements"]?.stringValue, case .list(let items) = converted {
                    converted = .list(items.map { item in
                        do { return try Self.convert(item, to: elements) } catch {
                            errors.append("Elements value for option '\(name)'\(inContext) is of type \(Self.typeName(item)) and we were unable to convert to \(elements): \(error)")
                            return item
                        }
                    })
                }
                parameters[name] = converted
            } catch {
                errors.append("argument '\(name)' is of type \(Self.typeName(value))\(inContext) and we were unable to convert to \(type): \(error)")
                parameters[name] = nil
            }
        }
        for (name, option) in spec {
            guard let choices = option["choices"]?.listValue, let value = parameters[name] else { continue }
            let choiceTexts = choices.map(Self.str)
            if case .list(let items) = value {
                let missed = items.map(Self.str).filter { !choiceTexts.contains($0) }
                if !missed.isEmpty {
                    errors.append("value of \(name) must be one or more of: \(choiceTexts.joined(separator: ", ")). Got no match for: \(missed.joined(separator: ", "))\(found)")
                }
            } else if !choiceTexts.contains(Self.str(value)) {
                errors.append("value of \(name) must be one of: \(choiceTexts.joined(separator: ", ")), got: \(Self.str(value))\(found)")
            }
        }
        for (name, option) in spec {
            guard let options = option["options"]?.dictValue, let value = parameters[name] else { continue }
            switch value {
            case .dict(let nested):
                validate(options, nested, context: context + [name], errors: &errors, unsupported: &unsupported)
            case .list(let items):
                for case .dict(let nested) in items {
                    validate(options, nested, context: context + [name], errors: &errors, unsupported: &unsupported)
                }
            default:
                break
            }
        }
    }

    struct ConversionError: Error, CustomStringConvertible {
        var description: String
    }

    /// Ansible's check_type_* conversions.
    static func convert(_ value: Value, to type: String) throws -> Value {
        switch type {
        case "str", "path":
            if case .string = value { return value }
            return .string(str(value))
        case "raw":
            return value
        case "int":
            switch value {
            case .int, .bool: return value
            case .double(let d) where d == d.rounded() && abs(d) < 1e18: return .int(Int(d))
            case .string(let s):
                let trimmed = s.trimmingCharacters(in: .whitespaces)
                if let i = Int(trimmed) { return .int(i) }
                if let d = Double(trimmed), d == d.rounded(), abs(d) < 1e18, trimmed.allSatisfy({ $0.isNumber || ".-+eE".contains($0) }) { return .int(Int(d)) }
            default: break
            }
            throw ConversionError(description: "\"\(repr(value))\" cannot be converted to an int")
        case "float":
            switch value {
            case .double: return value
            case .int(let i): return .double(Double(i))
            case .bool(let b): return .double(b ? 1 : 0)
            case .string(let s): if let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            default: break
            }
            throw ConversionError(description: "<class '\(typeName(value))'> cannot be converted to a float")
        case "bool":
            switch value {
            case .bool: return value
            case .string, .int, .double:
                let normalized = value.stringValue?.lowercased() ?? str(value)
                if ["y", "yes", "on", "1", "true", "t", "1.0"].contains(normalized) { return true }
                if ["n", "no", "off", "0", "false", "f", "0.0"].contains(normalized) { return false }
                // Ansible lists a Python set here, in an order that changes from run to run.
                throw ConversionError(description: "The value '\(str(value))' is not a valid boolean. Valid booleans include: "
                                      + "'y', 'yes', 'on', '1', 'true', 't', 1, 'n', 'no', 'off', '0', 'false', 'f', 0")
            default:
                throw ConversionError(description: "<class '\(typeName(value))'> cannot be converted to a bool")
            }
        case "list":
            switch value {
            case .list: return value
            case .string(let s): return .list(s.split(separator: ",", omittingEmptySubsequences: false).map { .string(String($0)) })
            case .int, .double: return .list([.string(str(value))])
            default: throw ConversionError(description: "<class '\(typeName(value))'> cannot be converted to a list")
            }
        case "dict":
            switch value {
            case .dict: return value
            case .string(let s) where s.hasPrefix("{"):
                if let parsed = try? Value.parseJSON(s), case .dict = parsed { return parsed }
                throw ConversionError(description: "unable to evaluate string as dictionary")
            case .string(let s) where s.contains("="):
                var result = OrderedDictionary<String, Value>()
                for field in s.split(whereSeparator: { $0 == "," || $0 == " " }) {
                    guard let eq = field.firstIndex(of: "=") else {
                        throw ConversionError(description: "unable to evaluate string in the \"key=value\" format as dictionary")
                    }
                    result[String(field[..<eq])] = .string(String(field[field.index(after: eq)...]))
                }
                return .dict(result)
            case .string: throw ConversionError(description: "dictionary requested, could not parse JSON or key=value")
            default: throw ConversionError(description: "<class '\(typeName(value))'> cannot be converted to a dict")
            }
        default:
            throw ConversionError(description: "unknown type '\(type)'")
        }
    }

    /// Python's type name for a value.
    static func typeName(_ value: Value) -> String {
        switch value {
        case .string: return "str"
        case .int: return "int"
        case .double: return "float"
        case .bool: return "bool"
        case .list: return "list"
        case .dict: return "dict"
        case .null: return "NoneType"
        }
    }

    /// Python's str() of a value.
    static func str(_ value: Value) -> String {
        if case .string(let s) = value { return s }
        return repr(value)
    }

    /// Python's repr() of a value.
    static func repr(_ value: Value) -> String {
        switch value {
        case .string(let s): return "'" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : String(d)
        case .bool(let b): return b ? "True" : "False"
        case .null: return "None"
        case .list(let l): return "[" + l.map(repr).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.map { repr(.string($0.key)) + ": " + repr($0.value) }.joined(separator: ", ") + "}"
        }
    }
}
