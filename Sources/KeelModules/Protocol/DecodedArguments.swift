import KeelBase
import OrderedCollections
import Synchronization

/// A module's arguments, validated and decoded, kept by the rendered arguments they came from: a task
/// reads its arguments up to four times per host (the lookahead's passes, its rehearsal, its turn) and a
/// play gives most hosts the same ones, while validating and decoding them was a tenth of a converged
/// run's CPU on the controller. Both steps are pure functions of the rendered arguments (the spec is the
/// module's own, nothing else is read), so a kept result is exactly what decoding again gives. Only
/// successes are kept: an error is made again, with the location of the call that asks.
final class DecodedArguments<Arguments: Sendable>: Sendable {
    /// Kept at most; the whole memo is dropped when it is full (a run has a few hundred distinct tasks).
    static var capacity: Int { 1024 }
    /// Arguments holding a longer string are decoded each time: a memo of big inline contents would hold
    /// on to them for the whole run, and hashing them costs about what decoding them does.
    static var largestKeptString: Int { 16 * 1024 }

    private let kept = Mutex<[Key: Arguments]>([:])

    /// The decoded arguments for `raw`, from the memo or from `decode` (kept when it succeeds).
    func arguments(for raw: OrderedDictionary<String, Value>, decode: () throws -> Arguments) rethrows -> Arguments {
        guard Self.mayKeep(raw) else { return try decode() }
        let key = Key(raw: raw)
        if let hit = kept.withLock({ $0[key] }) { return hit }
        let decoded = try decode()
        kept.withLock { memo in
            if memo.count >= Self.capacity { memo.removeAll(keepingCapacity: true) }
            memo[key] = decoded
        }
        return decoded
    }

    /// The arguments, compared and hashed byte for byte (Value's own == takes canonically equivalent
    /// strings for equal, and a content decoded from one spelling must not be written for the other).
    /// Each string's bytes go to the hasher at once (Value's own hash walks it through the generic
    /// Hashable path, which cost a third of what the memo saved); a list or mapping is hashed by its size
    /// and first few entries and compared in full.
    struct Key: Hashable {
        let raw: OrderedDictionary<String, Value>

        static func == (lhs: Key, rhs: Key) -> Bool {
            lhs.raw.count == rhs.raw.count && zip(lhs.raw, rhs.raw).allSatisfy {
                ExactText.sameBytes($0.key, $1.key) && same($0.value, $1.value)
            }
        }

        private static func same(_ lhs: Value, _ rhs: Value) -> Bool {
            switch (lhs, rhs) {
            case (.null, .null): return true
            case (.bool(let left), .bool(let right)): return left == right
            case (.int(let left), .int(let right)): return left == right
            case (.double(let left), .double(let right)): return left.bitPattern == right.bitPattern
            case (.string(let left), .string(let right)): return ExactText.sameBytes(left, right)
            case (.list(let left), .list(let right)): return left.count == right.count && zip(left, right).allSatisfy { same($0, $1) }
            case (.dict(let left), .dict(let right)):
                return left.count == right.count && zip(left, right).allSatisfy { ExactText.sameBytes($0.key, $1.key) && same($0.value, $1.value) }
            default: return false
            }
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(raw.count)
            for (name, value) in raw {
                hasher.combine(ExactText(name))
                Self.shape(value, into: &hasher)
            }
        }

        private static func shape(_ value: Value, into hasher: inout Hasher) {
            switch value {
            case .null: hasher.combine(0 as UInt8)
            case .bool(let flag): hasher.combine(flag)
            case .int(let number): hasher.combine(number)
            case .double(let number): hasher.combine(number.bitPattern)
            case .string(let text): hasher.combine(ExactText(text))
            case .list(let items):
                hasher.combine(items.count)
                for item in items.prefix(4) { shape(item, into: &hasher) }
            case .dict(let entries):
                hasher.combine(entries.count)
                for (name, item) in entries.prefix(4) {
                    hasher.combine(ExactText(name))
                    shape(item, into: &hasher)
                }
            }
        }
    }

    private static func mayKeep(_ raw: OrderedDictionary<String, Value>) -> Bool {
        raw.values.allSatisfy { value in
            if case .string(let text) = value { return text.utf8.count <= largestKeptString }
            return true
        }
    }
}
