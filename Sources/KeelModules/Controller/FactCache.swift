import Foundation
import KeelBase
import KeelTransport

/// A named fact in pyinfra's style: a read-only command and the parser of its output. Observed once per
/// host and shared by every task that asks for the same fact; any apply on the host forgets them all.
/// The name and command together identify it (`UnitStatus` of cron and of ssh are two facts).
public struct Fact<Output: Sendable>: Sendable {
    public var name: String
    public var command: String
    public var parse: @Sendable (CommandResult) throws -> Output

    public init(_ name: String, command: String, parse: @escaping @Sendable (CommandResult) throws -> Output) {
        self.name = name
        self.command = command
        self.parse = parse
    }

    var key: String { name + "\u{0}" + command }
}

/// One host's observed facts.
public actor FactCache {
    private var entries: [String: any Sendable] = [:]
    /// How many times a fact was really observed (for tests and -vvv).
    public private(set) var observations = 0

    public init() {}

    public func value<Output>(of fact: Fact<Output>, on host: HostContext) async throws -> Output {
        if let cached = entries[fact.key] as? Output { return cached }
        let result = try await host.run(fact.command)
        observations += 1
        let value = try fact.parse(result)
        entries[fact.key] = value
        return value
    }

    /// Forgets everything: the host changed (or may have).
    public func invalidate() { entries.removeAll() }
}

/// The fact caches of a run, one per target and become user (a fact read as root may differ from one
/// read as the login user; a delegated task reads the delegate).
public actor FactCaches {
    private var caches: [String: FactCache] = [:]

    public init() {}

    public func cache(for host: String, become: Become?) -> FactCache {
        let key = host + "\u{0}" + (become.map { $0.method + ":" + $0.user } ?? "")
        if let cache = caches[key] { return cache }
        let cache = FactCache()
        caches[key] = cache
        return cache
    }

    /// After an apply on `host`: every cache of that host (any become user) is forgotten.
    public func invalidate(host: String) async {
        for (key, cache) in caches where key.hasPrefix(host + "\u{0}") { await cache.invalidate() }
    }
}

extension HostContext {
    /// The fact's value on this host: from the run's cache, or observed now and cached.
    public func fact<Output>(_ fact: Fact<Output>) async throws -> Output {
        try await services.facts.cache(for: connection.hostName, become: become).value(of: fact, on: self)
    }
}
