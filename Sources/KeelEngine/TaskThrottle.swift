import KeelBase
import KeelModel

/// `throttle`: at most N hosts run one task at once, below `forks` (the lower bound wins). The linear
/// strategy runs a task's hosts together and only needs the width; the free strategy's hosts meet a
/// task at different times, so they take one of the task's slots here and wait when none is free.
actor TaskThrottle {
    private var running: [String: Int] = [:]
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// How many hosts may run this task at once: forks, lowered by the task's throttle (0 or less means none).
    static func width(_ throttle: Int?, forks: Int) -> Int {
        guard let throttle, throttle > 0 else { return max(1, forks) }
        return max(1, min(forks, throttle))
    }

    /// The task's throttle as written, rendered in the scope of the host about to run it.
    static func value(_ keyword: Templatable<Int>?, in scope: () throws -> VariableScope) throws -> Int? {
        switch keyword {
        case .value(let n)?: return n
        case .template(let text)?:
            let rendered = try scope().render(.string(text))
            guard let n = rendered.intValue ?? rendered.stringValue.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }) else {
                throw KeelError("throttle must be a whole number, found '\(rendered.stringValue ?? rendered.jsonString())'")
            }
            return n
        case nil: return nil
        }
    }

    /// Waits until fewer than `limit` hosts run the task `key`, then counts this one in.
    func acquire(_ key: String, limit: Int) async {
        while running[key, default: 0] >= limit {
            await withCheckedContinuation { waiting[key, default: []].append($0) }
        }
        running[key, default: 0] += 1
    }

    func release(_ key: String) {
        running[key, default: 1] -= 1
        if var queue = waiting[key], !queue.isEmpty {
            queue.removeFirst().resume()
            waiting[key] = queue
        }
    }
}
