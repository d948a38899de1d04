import Foundation
import KeelBase
import OrderedCollections

/// A host's connection variables read with their types checked. A value of the wrong type is an
/// error naming the host, the variable and the value: silently using a default (port 22 for "abc") or
/// a wrapped number (34463 for 99999) would connect somewhere the user did not ask for.
struct ConnectionVariables {
    let hostName: String
    let variables: OrderedDictionary<String, Value>

    func invalid(_ name: String, _ value: Value, expected: String) -> TransportError {
        .invalidSetting(host: hostName, variable: name, value: value.stringValue ?? value.jsonString(), expected: expected)
    }

    /// The first of `names` that is set, as text; numbers are accepted as their decimal text.
    func string(_ names: String...) throws -> String? {
        for name in names {
            switch variables[name] {
            case nil, .null?: continue
            case .string(let s)?: return s
            case .int(let i)?: return String(i)
            case let value?:
                if case .double(let d) = value { return String(d) }
                throw invalid(name, value, expected: "a string")
            }
        }
        return nil
    }

    /// A TCP port: a whole number from 1 to 65535.
    func port(_ names: String...) throws -> Int? {
        for name in names {
            guard let value = variables[name], value != .null else { continue }
            let number: Int?
            switch value {
            case .int(let i): number = i
            case .string(let s): number = Int(s.trimmingCharacters(in: .whitespaces))
            default: number = nil
            }
            guard let number, (1...65535).contains(number) else {
                throw invalid(name, value, expected: "a port number from 1 to 65535")
            }
            return number
        }
        return nil
    }

    /// A boolean as Ansible reads one: true/false, yes/no, on/off, 1/0.
    func bool(_ name: String) throws -> Bool? {
        guard let value = variables[name], value != .null else { return nil }
        if let parsed = ConnectionVariables.parseBool(value) { return parsed }
        throw invalid(name, value, expected: "a boolean (true/false, yes/no)")
    }

    static func parseBool(_ value: Value) -> Bool? { value.ansibleBool }

    /// A duration in seconds: a positive number (zero only where it means "off").
    func seconds(_ value: Value, _ name: String, allowZero: Bool = false) throws -> Double {
        let number: Double?
        switch value {
        case .int(let i): number = Double(i)
        case .double(let d): number = d
        case .string(let s): number = Double(s.trimmingCharacters(in: .whitespaces))
        default: number = nil
        }
        guard let number, number.isFinite, allowZero ? number >= 0 : number > 0 else {
            throw invalid(name, value, expected: allowZero ? "a number of seconds (0 or more)" : "a positive number of seconds")
        }
        return number
    }
}
