import Foundation
import KeelBase
import Synchronization

/// Whether the commands run by the current task are reads only. A module's `observe` runs with this set
/// (ModuleRunner), so do fact gathering and the engine's batched observations; everything else (apply,
/// raw commands, anything not marked) may change the host.
public enum HostReads {
    @TaskLocal public static var readOnly = false
}

/// What a script run with a become setting answers: the key of a prefetched answer. Two requests are the
/// same only byte for byte: Swift's String equality is canonical equivalence, and a path spelled in NFC
/// and in NFD names two different files on a host.
public struct ReadRequest: Hashable, Sendable {
    public var script: String
    public var become: Become?

    public init(script: String, become: Become?) {
        self.script = script
        self.become = become
    }

    public static func == (lhs: ReadRequest, rhs: ReadRequest) -> Bool {
        lhs.become == rhs.become && ExactText.sameBytes(lhs.script, rhs.script)
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(ExactText(script))
        hasher.combine(become)
    }
}

/// A host's connection that answers read-only scripts from answers taken ahead of time in one batch
/// (the engine's lookahead over the next tasks), so a converged run costs a few round trips instead of one
/// per task. Exactness: an answer is given only for the same script and become, at most as many times as
/// it was asked for ahead; any command that reaches the host outside a read (an apply) forgets every answer,
/// so what follows a change is observed again, after it. A change may carry the next tasks' first reads
/// (ReadPlanner, PiggybackedChange): they ran after it, so their answers are stored after the forgetting.
/// An answer differs from a one-by-one read only if
/// something other than this run changed the host in between.
public final class PrefetchingConnection: Connection, Sendable {
    public let inner: any Connection
    /// False when batching is turned off (KEEL_BATCH_OBSERVATIONS=0, --no-batch): a plain pass-through.
    public let enabled: Bool
    /// How this connection reaches its host (HostConnectionSettings.cacheKey): a task reaching it another
    /// way is not looked at ahead over this connection.
    public let cacheKey: String?
    private struct Store {
        var answers: [ReadRequest: (result: CommandResult, uses: Int)] = [:]
        /// Lookahead keys (the engine's task positions) already prefetched since the last change.
        var covered: Set<String> = []
        var generation = 0
        /// How many tasks the next lookahead should look at: it shrinks when a change soon made the last
        /// batch useless (a first run, where every task changes, should not observe the whole play again
        /// after each task) and grows again while batches are used up without a change.
        var window = PrefetchingConnection.maximumWindow
        var answersTaken = 0
        var changedSinceStore = false
        /// How many of the next tasks a change carries the first reads of: about as many answers as the
        /// last batch served before this change (2 on a first run, where each task changes the host and
        /// the rest would be wasted, and rendering them costs CPU), up to maximumCarried.
        var carried = PrefetchingConnection.maximumCarried
        /// For answers a change carried along: which carried tasks (by position) asked for each read, and
        /// which of them were served before the next change. A first run serves exactly one (the next task
        /// changes the host again), so the next change carries one task's reads, not two.
        var carriedAskedBy: [ReadRequest: [Int]]?
        var carriedServed: Set<Int> = []
        /// Changes of the next tasks that already ran on the host, carried by a change (ChainedChange), in
        /// order, each with the reads that ran after it: given to the tasks' own applies as they come.
        var chained: [Chained] = []
        /// How many tasks the next chain rehearses: doubles while chains run through, shrinks to what ran.
        var chainLength = PrefetchingConnection.initialChain
    }

    private struct Chained {
        var change: ChangeRequest
        var result: CommandResult
        var answers: [ReadRequest: (result: CommandResult, uses: Int)]
        var covering: [String]
    }
    /// The most tasks one lookahead looks at.
    public static let maximumWindow = 64
    /// The most tasks whose first reads a change carries along: on a first run most of them are wasted
    /// (the next task changes the host again), so a few.
    public static let maximumCarried = 8
    static let minimumCarried = 2
    static let minimumWindow = 4
    /// The most tasks one chain rehearses (and as many again whose reads it carries after them).
    public static let maximumChain = 48
    static let minimumChain = 4
    static let initialChain = 16
    /// The most input the changes run ahead in a chain carry in all (inline, as a printf format: up to four bytes of script per byte).
    static let maximumChainedInput = 256 * 1024
    private let store = Mutex(Store())

    public init(_ inner: any Connection, enabled: Bool = true, cacheKey: String? = nil) {
        self.inner = inner
        self.enabled = enabled
        self.cacheKey = cacheKey
    }

    public var hostName: String { inner.hostName }
    public var counters: TransportCounters? { inner.counters }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        let reading = HostReads.readOnly
        // Only a read is answered ahead: a command that changes the host always runs.
        if enabled, reading, stdin == nil, let answer = take(ReadRequest(script: script, become: become)) { return answer }
        if !reading {
            // This task's change already ran, sent ahead by the change before it: its result, no round trip.
            if enabled, let ran = takeChained(ChangeRequest(script: script, stdin: stdin, become: become)) { return ran }
            let before = invalidate()
            if let chained = try await runChaining(script, stdin: stdin, become: become, known: before) { return chained }
            if let piggybacked = try await runCarryingReads(script, stdin: stdin, become: become) { return piggybacked }
        }
        return try await inner.run(script, stdin: stdin, become: become)
    }

    /// A command that changes the host, sent with the reads the next tasks' observations start with
    /// (ReadPlanner.current), in one round trip: their answers describe the host after the change, so they
    /// are stored as fresh ones after the invalidation. Nil when there is nothing to carry (no plan, no
    /// read with this become, big input, cancelled): the command then runs alone, as it always did.
    private func runCarryingReads(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult? {
        guard enabled, let planner = ReadPlanner.current, (stdin?.count ?? 0) <= PiggybackedChange.maximumInput,
              !_Concurrency.Task.isCancelled else { return nil }
        let generation = self.generation
        let plan = await planner.plan(for: self).reads(with: become)
        guard !plan.requests.isEmpty, !_Concurrency.Task.isCancelled else { return nil }
        let outcome = try await PiggybackedChange.run(script, stdin: stdin, then: plan.requests.map(\.script), become: become, on: inner)
        if let reads = outcome.reads {
            var answers: [ReadRequest: (CommandResult, Int)] = [:]
            for (request, result) in zip(plan.requests, reads) { answers[request] = (result, plan.uses[request] ?? 1) }
            store(answers, covering: plan.covering, generation: generation, carriedBy: plan.askedBy)
        }
        return outcome.change
    }

    /// The only command of a task's apply (ChainedChange.isOnlyCommand), sent with the changes of the tasks
    /// after it that were rehearsed from what the host answered before it (`known`), in one round trip; nil
    /// when nothing of the next tasks can run ahead (then it carries their reads, or runs alone).
    private func runChaining(_ script: String, stdin: Data?, become: Become?, known: [ReadRequest: CommandResult]) async throws -> CommandResult? {
        guard enabled, ChainedChange.isOnlyCommand, let planner = ReadPlanner.current, planner.chains, !known.isEmpty,
              (stdin?.count ?? 0) <= PiggybackedChange.maximumInput, !_Concurrency.Task.isCancelled else { return nil }
        let generation = self.generation
        var expected = known
        for write in ChainedChange.writes { PathObservation.predict(&expected, after: write) }
        let positions = Self.sendable(await planner.chain(for: self, known: expected, length: store.withLock { $0.chainLength }), become: become)
        guard positions.contains(where: { $0.change != nil }), !_Concurrency.Task.isCancelled else { return nil }
        let outcome = try await ChainedChange.run(script, stdin: stdin, then: positions, become: become, on: inner)
        storeChain(positions, outcome: outcome, generation: generation)
        return outcome.change
    }

    /// The positions of a chain up to the first that may not go in the batch. One batch runs as one user;
    /// the inputs of the changes run ahead travel inside its script, up to a limit, and only where the
    /// script is private (ChainedChange.scriptIsPrivate: not under become); elsewhere a change with input
    /// (a file's content) is not carried: it goes on its own, its content on stdin.
    static func sendable(_ positions: [ChainedPosition], become: Become?) -> [ChainedPosition] {
        var input = 0
        guard let cut = positions.firstIndex(where: { position in
            let carried = position.change?.stdin?.count ?? 0
            input += carried
            return input > maximumChainedInput || (!ChainedChange.scriptIsPrivate(become: become) && carried > 0)
                || position.reads.contains { $0.become != become } || position.change.map { $0.become != become } == true
        }) else { return positions }
        return Array(positions.prefix(cut))
    }

    /// Keeps what a chain brought back: the reads before the first change that ran ahead are answers now;
    /// each change that ran waits for its task's apply, with the reads that ran after it.
    private func storeChain(_ positions: [ChainedPosition], outcome: ChainedChange.Outcome, generation: Int) {
        var epochs: [(answers: [ReadRequest: (result: CommandResult, uses: Int)], covering: [String])] = [([:], [])]
        var changes: [(ChangeRequest, CommandResult)] = []
        for (position, out) in zip(positions, outcome.positions) {
            for (request, result) in zip(position.reads, out.reads) {
                let uses = (epochs[epochs.count - 1].answers[request]?.uses ?? 0) + 1
                epochs[epochs.count - 1].answers[request] = (result, uses)
            }
            if out.reads.count == position.reads.count, let key = position.key { epochs[epochs.count - 1].covering.append(key) }
            if let change = position.change, let result = out.change {
                changes.append((change, result))
                epochs.append(([:], []))
            }
        }
        let ranThrough = changes.count == positions.filter { $0.change != nil }.count
        store.withLock { store in
            guard store.generation == generation else { return }
            store.carriedAskedBy = nil
            store.carriedServed = []
            store.changedSinceStore = false
            store.answersTaken = 0
            store.answers = epochs[0].answers
            store.covered = Set(epochs[0].covering)
            store.chained = zip(changes, epochs.dropFirst()).map { Chained(change: $0.0.0, result: $0.0.1, answers: $0.1.answers, covering: $0.1.covering) }
            // A chain that ran through may be longer next time; one that stopped early, as long as what ran.
            store.chainLength = ranThrough ? min(Self.maximumChain, 2 * store.chainLength)
                : min(Self.maximumChain, max(Self.minimumChain, 2 * changes.count))
        }
    }

    /// The result of a change that already ran ahead, when `request` is the next one waiting: the reads
    /// that ran after it become the answers.
    private func takeChained(_ request: ChangeRequest) -> CommandResult? {
        store.withLock { store in
            guard let next = store.chained.first, next.change == request else { return nil }
            store.chained.removeFirst()
            store.answers = next.answers
            store.covered = Set(next.covering)
            store.generation += 1
            store.carriedAskedBy = nil
            store.carriedServed = []
            store.changedSinceStore = false
            store.answersTaken = 0
            return next.result
        }
    }

    public func close() async { await inner.close() }

    /// Forgets every prefetched answer (the host changed, or may have) and every change that ran ahead and
    /// was not asked for; returns the answers it forgot (what the host answered before this change).
    @discardableResult
    public func invalidate() -> [ReadRequest: CommandResult] {
        store.withLock {
            let before = $0.answers.mapValues(\.result)
            $0.chained.removeAll()
            if !$0.changedSinceStore {
                $0.window = max(Self.minimumWindow, 2 * $0.answersTaken)
                if $0.carriedAskedBy != nil {
                    // The change came while the last change's carried answers were still in use: carry as many
                    // tasks as were served (on a first run one: the task after it changes the host again).
                    $0.carried = min(Self.maximumCarried, max(1, $0.carriedServed.count))
                } else {
                    $0.carried = min(Self.maximumCarried, max(Self.minimumCarried, $0.answersTaken))
                }
                $0.changedSinceStore = true
            }
            $0.answers.removeAll()
            $0.covered.removeAll()
            $0.generation += 1
            return before
        }
    }

    /// How many tasks (the current one included) the next lookahead should look at.
    public var window: Int { store.withLock { $0.window } }

    /// How many of the next tasks' first reads a change should carry along.
    public var carriedWindow: Int { store.withLock { $0.carried } }

    /// Counts how many times each answer may be given; bumped on every invalidation, so answers taken
    /// before a change that happened during the batch are not stored.
    public var generation: Int { store.withLock { $0.generation } }

    /// Whether the lookahead has already covered this position since the last change.
    public func isCovered(_ key: String) -> Bool { store.withLock { $0.covered.contains(key) } }

    /// Stores a batch's answers (each usable `uses` times) and marks the positions it looked at; ignored
    /// when the host changed since `generation` was read.
    /// `carriedBy`: the answers are the reads a change carried (which carried position asked for each).
    public func store(_ answers: [ReadRequest: (CommandResult, Int)], covering keys: [String], generation: Int,
                      carriedBy: [ReadRequest: [Int]]? = nil) {
        store.withLock { store in
            guard store.generation == generation else { return }
            store.carriedAskedBy = carriedBy
            store.carriedServed = []
            // A batch used up without any change: the next one may look further.
            if !store.changedSinceStore, store.answersTaken > 0 { store.window = min(Self.maximumWindow, 2 * store.window) }
            store.changedSinceStore = false
            store.answersTaken = 0
            for (request, answer) in answers {
                let uses = (store.answers[request]?.uses ?? 0) + answer.1
                store.answers[request] = (answer.0, uses)
            }
            store.covered.formUnion(keys)
        }
    }

    /// An answer without using it up (the lookahead follows an observation's second command).
    public func peek(_ request: ReadRequest) -> CommandResult? {
        store.withLock { $0.answers[request]?.result }
    }

    private func take(_ request: ReadRequest) -> CommandResult? {
        store.withLock { store in
            guard let answer = store.answers[request] else { return nil }
            store.answersTaken += 1
            if let askers = store.carriedAskedBy?[request], let first = askers.first(where: { !store.carriedServed.contains($0) }) {
                store.carriedServed.insert(first)
            }
            if answer.uses <= 1 { store.answers[request] = nil } else { store.answers[request] = (answer.result, answer.uses - 1) }
            return answer.result
        }
    }
}

/// The connection the lookahead runs an observation against: answers what the batch already knows, and
/// for anything else records the request and stops the observation (`ReadDeferred`), so the engine can
/// send every recorded request in one batch.
public final class ReadRecorder: Connection, Sendable {
    public let hostName: String
    private let known: @Sendable (ReadRequest) -> CommandResult?
    private let requests = Mutex<[ReadRequest]>([])

    public init(hostName: String, known: @escaping @Sendable (ReadRequest) -> CommandResult?) {
        self.hostName = hostName
        self.known = known
    }

    /// Thrown at the first command the batch has no answer for.
    public struct ReadDeferred: Error {}

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        let request = ReadRequest(script: script, become: become)
        if stdin == nil, let answer = known(request) { return answer }
        // A command with input is not batched: the observation stops here, unrecorded.
        if stdin == nil { requests.withLock { $0.append(request) } }
        throw ReadDeferred()
    }

    public func close() async {}

    /// The requests recorded so far, emptied.
    public func takeRequests() -> [ReadRequest] { requests.withLock { let r = $0; $0 = []; return r } }
}
