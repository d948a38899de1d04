import Synchronization
import Foundation
import KeelBase
import OrderedCollections

/// What the run knows about one host across plays: its facts, the facts and results it set
/// (set_fact, register: Ansible keeps these for the whole run), whether it failed or became
/// unreachable, and its counts for the recap. (Its connections live in the run's ConnectionPool.)
public final class HostState: @unchecked Sendable {
    // @unchecked: every stored variable is read and written under `lock`: one task at a time changes a
    // host, but other hosts read it meanwhile (hostvars, play_hosts, any_errors_fatal, the recap).
    private let lock = NSLockLike()
    public let name: String
    private var _facts: OrderedDictionary<String, Value> = [:]
    /// Facts a module returned (or set_fact cached) under a name without `ansible_`: Ansible's
    /// INJECT_FACTS_AS_VARS makes them variables under that bare name (getent_passwd, services), where
    /// gathered facts become `ansible_<name>`.
    private var _bareFactNames: Set<String> = []
    private var _hostFacts: OrderedDictionary<String, Value> = [:]   // set_fact / register, level 19
    private var _includeVars: OrderedDictionary<String, Value> = [:]  // include_vars, level 18
    private var _failed = false
    private var _unreachable = false
    private var _recap = [String: Int]()
    private var _version = 0

    /// Bumped whenever the host's facts or variables change (facts, set_fact, register, include_vars): what
    /// was rendered ahead with the old ones (ProbeCache) is rendered again.
    var version: Int { lock.withLock { _version } }

    public var failed: Bool {
        get { lock.withLock { _failed } }
        set { lock.withLock { _failed = newValue }; Self.noteActivityChange() }
    }
    public var unreachable: Bool {
        get { lock.withLock { _unreachable } }
        set { lock.withLock { _unreachable = newValue }; Self.noteActivityChange() }
    }
    /// Counts by status name, for the recap.
    var recap: [String: Int] { lock.withLock { _recap } }

    init(name: String) { self.name = name }

    public var facts: OrderedDictionary<String, Value> { lock.withLock { _facts } }
    public var hostFacts: OrderedDictionary<String, Value> { lock.withLock { _hostFacts } }
    public var includeVars: OrderedDictionary<String, Value> { lock.withLock { _includeVars } }

    /// The variable each fact is injected as (INJECT_FACTS_AS_VARS).
    public var factVariables: OrderedDictionary<String, Value> {
        lock.withLock {
            var variables = OrderedDictionary<String, Value>()
            for (k, v) in _facts { variables[_bareFactNames.contains(k) ? k : "ansible_" + k] = v }
            return variables
        }
    }

    func setFacts(_ facts: OrderedDictionary<String, Value>) { lock.withLock { _facts = facts; _bareFactNames = []; _version += 1 } }
    /// Newly gathered or cached facts join what the host had (Ansible never forgets a fact in a run).
    func mergeFacts(_ facts: OrderedDictionary<String, Value>) {
        lock.withLock { for (k, v) in facts { _facts[k] = v; _bareFactNames.remove(k) }; _version += 1 }
    }
    /// Facts under the names a module returned them: `ansible_x` is stored as `x` (a variable `ansible_x`),
    /// any other name as it is (and a variable of that bare name), as Ansible stores and injects them.
    func mergeReturnedFacts(_ facts: OrderedDictionary<String, Value>) {
        lock.withLock {
            _version += 1
            for (k, v) in facts {
                if k.hasPrefix("ansible_") {
                    let name = String(k.dropFirst(8))
                    _facts[name] = v
                    _bareFactNames.remove(name)
                } else {
                    _facts[k] = v
                    _bareFactNames.insert(k)
                }
            }
        }
    }
    func setHostFact(_ name: String, _ value: Value) { lock.withLock { _hostFacts[name] = value; _version += 1 } }
    func setIncludeVar(_ name: String, _ value: Value) { lock.withLock { _includeVars[name] = value; _version += 1 } }

    /// Still in the play: neither failed nor unreachable.
    var isActive: Bool { lock.withLock { !_failed && !_unreachable } }

    func count(_ status: String) { lock.withLock { _recap[status, default: 0] += 1 } }
    /// A failure that `rescue` handled leaves the failed count (never below zero in the recap).
    func uncount(_ status: String) { lock.withLock { _recap[status, default: 1] -= 1 } }
    /// Marks the host failed unless it already is, or is unreachable (a fatal failure elsewhere).
    func failIfActive() { lock.withLock { _failed = _failed || !_unreachable }; Self.noteActivityChange() }

    /// Counts every change of any host's failed or unreachable flag (in this process): what is made from
    /// the list of active hosts (play_hosts) is kept while the count stays the same, instead of asking
    /// every host for every task of every host.
    static var activityChanges: Int { activityCounter.load(ordering: .acquiring) }
    private static let activityCounter = Atomic<Int>(0)
    private static func noteActivityChange() { activityCounter.add(1, ordering: .releasing) }
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
