import Foundation
import Synchronization

/// The reads the next tasks' observations start with (their first commands, which depend on nothing the
/// host answers), learned by the engine's lookahead: what a change carries along (PiggybackedChange).
public struct ReadPlan: Sendable {
    /// One task (or a loop's items) ahead: its lookahead key and the first reads of its observations.
    public struct Position: Sendable {
        public var key: String?
        public var requests: [ReadRequest]

        public init(key: String?, requests: [ReadRequest]) {
            self.key = key
            self.requests = requests
        }
    }

    public var positions: [Position]

    public init(positions: [Position] = []) { self.positions = positions }

    /// The reads that run with `become` (a batch runs as one user), each once, in order; how many times
    /// each is asked for; the positions all of whose reads are among them; and which positions (by index)
    /// ask for each read, so the connection can tell how many of the carried tasks were served.
    public func reads(with become: Become?) -> (requests: [ReadRequest], uses: [ReadRequest: Int], covering: [String],
                                                askedBy: [ReadRequest: [Int]]) {
        var requests: [ReadRequest] = []
        var uses: [ReadRequest: Int] = [:]
        var covering: [String] = []
        var askedBy: [ReadRequest: [Int]] = [:]
        for (index, position) in positions.enumerated() {
            for request in position.requests where request.become == become {
                if uses[request] == nil { requests.append(request) }
                uses[request, default: 0] += 1
                askedBy[request, default: []].append(index)
            }
            if let key = position.key, position.requests.allSatisfy({ $0.become == become }) { covering.append(key) }
        }
        return (requests, uses, covering, askedBy)
    }
}

/// Who knows the next tasks' reads for the task now running on a host: set by the engine around each
/// task (a task-local, so only that task's commands see it); the PrefetchingConnection asks it when a
/// command that changes the host goes through, once per task (the plan is kept: nothing the plan depends
/// on changes while the task runs).
public final class ReadPlanner: Sendable {
    @TaskLocal public static var current: ReadPlanner?

    private let make: @Sendable (PrefetchingConnection) async -> ReadPlan
    private let plans = Mutex<[ObjectIdentifier: ReadPlan]>([:])
    /// Whether the task's change may carry the changes of the tasks after it (ChainedChange): the engine
    /// says so only where one-by-one execution would run them next whatever this task's change answers
    /// as long as it succeeds (ModuleRunner asks before it counts the apply's commands).
    public let chains: Bool
    private let makeChain: @Sendable (PrefetchingConnection, [ReadRequest: CommandResult], Int) async -> [ChainedPosition]

    public init(chains: Bool = false,
                chain: @escaping @Sendable (PrefetchingConnection, [ReadRequest: CommandResult], Int) async -> [ChainedPosition] = { _, _, _ in [] },
                _ make: @escaping @Sendable (PrefetchingConnection) async -> ReadPlan) {
        self.make = make
        self.chains = chains
        self.makeChain = chain
    }

    /// The next tasks (up to `length` rehearsed, then as many carried), rehearsed from `known`, what the
    /// host answered before the change that carries them.
    public func chain(for connection: PrefetchingConnection, known: [ReadRequest: CommandResult], length: Int) async -> [ChainedPosition] {
        await makeChain(connection, known, length)
    }

    /// The plan for reads over `connection` (empty for a connection the next tasks do not use).
    public func plan(for connection: PrefetchingConnection) async -> ReadPlan {
        let id = ObjectIdentifier(connection)
        if let known = plans.withLock({ $0[id] }) { return known }
        let plan = await make(connection)
        plans.withLock { $0[id] = plan }
        return plan
    }
}
