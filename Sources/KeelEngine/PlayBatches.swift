import Foundation
import KeelBase
import KeelModel

/// `serial` and `max_fail_percentage`: the play's batches of hosts. Templated values are rendered with
/// the play's variables; a template may give a count, a percentage ("30%") or a list of them.
enum PlayBatches {
    static func steps(_ serial: [SerialStep], scope: VariableScope, at location: SourceLocation?) throws -> [SerialStep] {
        try serial.flatMap { step -> [SerialStep] in
            guard case .template(let text) = step else { return [step] }
            let rendered = try scope.render(.string(text), origin: location)
            if let items = rendered.listValue { return try items.map { try literal($0, text, location) } }
            return [try literal(rendered, text, location)]
        }
    }

    private static func literal(_ value: Value, _ written: String, _ location: SourceLocation?) throws -> SerialStep {
        if let count = value.intValue, count >= 0 { return .count(count) }
        if let text = value.stringValue?.trimmingCharacters(in: .whitespaces) {
            if let count = Int(text), count >= 0 { return .count(count) }
            if text.hasSuffix("%"), let percent = Double(text.dropLast().trimmingCharacters(in: .whitespaces)), percent >= 0 { return .percent(percent) }
        }
        throw KeelError("serial: '\(written)' rendered to '\(value.stringValue ?? value.jsonString())', expected a number of hosts, "
                        + "a percentage such as '30%', or a list of them", at: location)
    }

    /// Splits the hosts into batches; the last step repeats until every host has had its turn.
    static func split(_ hosts: [String], steps: [SerialStep]) -> [[String]] {
        guard !steps.isEmpty else { return [hosts] }
        var result: [[String]] = []
        var remaining = hosts[...]
        var steps = steps
        while !remaining.isEmpty {
            let step = steps.count > 1 ? steps.removeFirst() : steps[0]
            var size: Int
            switch step {
            case .count(let n): size = n == 0 ? hosts.count : n
            case .percent(let p): size = Int((Double(hosts.count) * p / 100).rounded(.down))
            case .template: size = hosts.count   // rendered by `steps` before
            }
            size = max(1, size)
            result.append(Array(remaining.prefix(size)))
            remaining = remaining.dropFirst(size)
        }
        return result
    }

    /// max_fail_percentage from a template: a number, or a percentage such as "30%".
    static func percentage(_ written: String, scope: VariableScope, at location: SourceLocation?) throws -> Double {
        let value = try scope.render(.string(written), origin: location)
        if case .double(let d) = value { return d }
        if let i = value.intValue { return Double(i) }
        if var text = value.stringValue?.trimmingCharacters(in: .whitespaces) {
            if text.hasSuffix("%") { text = String(text.dropLast()).trimmingCharacters(in: .whitespaces) }
            if let d = Double(text) { return d }
        }
        throw KeelError("max_fail_percentage: '\(written)' rendered to '\(value.stringValue ?? value.jsonString())', "
                        + "expected a number or a percentage such as '30%'", at: location)
    }
}
