import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// What the run knows about one host across plays: its facts, the facts and results it set
/// (set_fact, register: Ansible keeps these for the whole run), whether it failed or became
/// unreachable, and its connection.
public final class HostState: @unchecked Sendable {
    // @unchecked: mutated only by the one task at a time that runs on this host (the strategy never
    // runs two tasks of a host at once); reads from other hosts (hostvars) take the lock.
    private let lock = NSLockLike()
    public let name: String
    private var _facts: OrderedDictionary<String, Value> = [:]
    private var _hostFacts: OrderedDictionary<String, Value> = [:]   // set_fact / register, level 19
    private var _includeVars: OrderedDictionary<String, Value> = [:]  // include_vars, level 18
    public var failed = false
    public var unreachable = false
    var connection: (any Connection)?
    var recap = [String: Int]()

    init(name: String) { self.name = name }

    public var facts: OrderedDictionary<String, Value> { lock.withLock { _facts } }
    public var hostFacts: OrderedDictionary<String, Value> { lock.withLock { _hostFacts } }
    public var includeVars: OrderedDictionary<String, Value> { lock.withLock { _includeVars } }

    func setFacts(_ facts: OrderedDictionary<String, Value>) { lock.withLock { _facts = facts } }
    /// Newly gathered or cached facts join what the host had (Ansible never forgets a fact in a run).
    func mergeFacts(_ facts: OrderedDictionary<String, Value>) { lock.withLock { for (k, v) in facts { _facts[k] = v } } }
    func setHostFact(_ name: String, _ value: Value) { lock.withLock { _hostFacts[name] = value } }
    func setIncludeVar(_ name: String, _ value: Value) { lock.withLock { _includeVars[name] = value } }

    /// Still in the play: neither failed nor unreachable.
    var isActive: Bool { !failed && !unreachable }

    func count(_ status: String) { recap[status, default: 0] += 1 }
}

/// A small lock (Foundation's NSLock is not Sendable on every platform).
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return try body()
    }
}
