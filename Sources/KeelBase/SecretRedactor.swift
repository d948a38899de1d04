import Foundation

/// The process-wide set of secret strings (values that came from Ansible Vault, variables marked
/// sensitive) and the one place output is masked. Every reporter and every error printed by the CLI
/// passes its text through `redact`, so a secret shown by a task, a diff, a JSON event or a failure
/// message is replaced by `mask` wherever it appears. Ansible prints a vaulted value as soon as a task
/// shows it; Keel does not.
public final class SecretRedactor: @unchecked Sendable {
    public static let shared = SecretRedactor()
    public static let mask = "********"
    /// Shorter values are not masked: hiding every "80" or "yes" in the output would make it unreadable
    /// and protects nothing a reader could not guess.
    public static let minimumLength = 4

    private let lock = NSLock()
    /// Longest first, so a secret that contains another is masked whole.
    private var secrets: [String] = []
    private var known: Set<String> = []

    public init() {}

    /// Remembers `value` as secret; a multi-line value also masks each of its lines on its own, since a
    /// unified diff shows a file line by line.
    public func register(_ value: String) {
        // Without the line end a file's content usually has: masking it would join the next line of output.
        var candidates = [value.trimmingCharacters(in: .whitespacesAndNewlines)]
        if value.contains("\n") {
            candidates += value.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        }
        lock.lock(); defer { lock.unlock() }
        var added = false
        for candidate in candidates where candidate.count >= Self.minimumLength && !known.contains(candidate) {
            known.insert(candidate)
            secrets.append(candidate)
            // The same value as it appears inside a JSON string.
            let escaped = Self.jsonEscaped(candidate)
            if escaped != candidate && !known.contains(escaped) { known.insert(escaped); secrets.append(escaped) }
            added = true
        }
        if added { secrets.sort { $0.count > $1.count } }
    }

    /// Registers every string inside `value` (a whole vaulted vars file is secret).
    public func register(allStringsIn value: Value) {
        switch value {
        case .string(let s): register(s)
        case .list(let items): items.forEach { register(allStringsIn: $0) }
        case .dict(let pairs): pairs.values.forEach { register(allStringsIn: $0) }
        default: break
        }
    }

    public var isEmpty: Bool { lock.lock(); defer { lock.unlock() }; return secrets.isEmpty }

    /// `text` with every known secret replaced by the mask.
    public func redact(_ text: String) -> String {
        lock.lock()
        let current = secrets
        lock.unlock()
        guard !current.isEmpty else { return text }
        var result = text
        for secret in current where result.contains(secret) {
            result = result.replacingOccurrences(of: secret, with: Self.mask)
        }
        return result
    }

    /// Forgets every secret (tests that run several playbooks in one process).
    public func reset() {
        lock.lock(); defer { lock.unlock() }
        secrets.removeAll()
        known.removeAll()
    }

    static func jsonEscaped(_ text: String) -> String {
        let quoted = Value.string(text).jsonString()
        return String(quoted.dropFirst().dropLast())
    }
}
