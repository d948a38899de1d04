import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelTransport
import OrderedCollections

/// Takes the observations of the tasks ahead of a host in one round trip (pyinfra's facts, batched):
/// before a task runs, if the tasks from it on were not looked at since the host last changed, each of
/// them whose arguments render now (no result of an earlier task needed) has its module observe against a
/// ReadRecorder, which learns the read-only scripts the observation runs; they go to the host in one
/// CommandBatch, and the host's PrefetchingConnection answers the tasks' own observations from it. Any
/// command that may change the host forgets the answers, and the next task looks ahead again: results
/// are those of one-by-one execution. A guess that does not hold (a `when` or an argument that an
/// earlier task changes) only costs a read: an answer serves only the very script it was taken for.
/// A change carries the next tasks' first reads along (`planner`, PiggybackedChange), so on a first run a
/// task costs one round trip, and a task whose reads are all answered already sends no batch.
struct ObservationLookahead {
    let run: RunContext
    let play: PlayScope
    let host: String

    /// How many tasks ahead are listed (the benchmark's play is 41); the connection's window, which
    /// shrinks after changes, decides how many of them are looked at.
    static let window = PrefetchingConnection.maximumWindow
    /// The most reads one change carries along (a long loop's items would otherwise all ride on each item's change).
    static let maximumCarriedReads = 24
    /// An observation that needs the answer of its first command to build its second gets another batch,
    /// up to this many in all.
    static let passes = 3

    /// One observation to take ahead (a task, one loop item of it, or fact gathering), run against the
    /// connection it is given.
    struct Probe: Sendable {
        var observe: @Sendable (any Connection) async throws -> Void
        /// The task's rehearsal over a connection that answers from what the host answered before
        /// (ChainedChange); nil when the task may not run ahead.
        var rehearse: (@Sendable (any Connection) async -> ModuleRunner.Rehearsal?)?
    }

    /// The most reads one chain carries in all.
    static let maximumChainReads = 96

    /// Words whose templates give another value each time they render (random, now(), a fresh UUID or
    /// salt): a task using one is not rehearsed, since its real turn would render something else.
    static let unrepeatable = ["random", "now(", "shuffle", "uuid", "password_hash", "strftime", "lookup(", "query("]

    /// Whether a task may be part of a chain (ChainedChange), as the change that carries it or as one run
    /// ahead: what decides that the task after it runs next must not depend on this task's result beyond
    /// its success (no register, failed_when, until, loop, delegation, run_once, any_errors_fatal, async or
    /// timeout), and its own templates must render the same again.
    static func mayChain(_ entry: TaskEntry) -> Bool {
        let task = entry.task, keywords = entry.keywords
        guard !entry.isHandler, task.loop == nil, task.register == nil, task.failedWhen.isEmpty, task.until.isEmpty,
              task.retries == nil, task.asyncSeconds == nil, keywords.timeout == nil, keywords.delegateTo == nil,
              keywords.runOnce == nil, keywords.anyErrorsFatal?.literal != true else { return false }
        var texts: [Value] = [.dict(task.args), .dict(keywords.vars)] + keywords.when.map { .string($0.expression) }
        if let environment = keywords.environment { texts.append(environment) }
        return !texts.contains { value in
            let text = value.jsonString()
            return unrepeatable.contains { text.contains($0) } || callsQ(text)
        }
    }

    /// `with_<lookup>` forms that only reshape data they are given; every other lookup may read or change
    /// something (pipe runs a command, password writes a file), so a task using one is not rendered ahead:
    /// its lookups then run exactly as often as in one-by-one execution.
    static let pureLoopLookups: Set<String> = ["items", "list", "dict", "indexed_items", "together", "nested",
                                               "sequence", "subelements", "flattened", "cartesian"]

    /// Whether rendering the task's arguments, loop or condition may call a lookup.
    static func mayRunLookups(_ task: Task, when: [Conditional]) -> Bool {
        if case .with(let lookup)? = task.loop?.kind, !pureLoopLookups.contains(lookup) { return true }
        var texts: [Value] = [.dict(task.args)] + when.map { .string($0.expression) }
        if let items = task.loop?.items { texts.append(items) }
        return texts.contains { value in
            let text = value.jsonString()
            return text.contains("lookup(") || text.contains("query(") || callsQ(text)
        }
    }

    /// Whether `q(` appears as a call of its own (not the end of a longer name such as `seq(`).
    private static func callsQ(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2 else { return false }
        for index in 0..<(utf8.count - 1) where utf8[index] == UInt8(ascii: "q") && utf8[index + 1] == UInt8(ascii: "(") {
            guard index > 0 else { return true }
            let before = utf8[index - 1]
            let isWord = (before >= 0x30 && before <= 0x39) || (before >= 0x41 && before <= 0x5A) || (before >= 0x61 && before <= 0x7A)
                || before == UInt8(ascii: "_") || before >= 0x80
            if !isWord { return true }
        }
        return false
    }

    static func key(_ entry: TaskEntry) -> String {
        entry.lookaheadKey
    }

    /// Before `entry` runs on the host, with `upcoming` the tasks after it.
    func prepare(_ entry: TaskEntry, upcoming: [TaskEntry]) async {
        guard run.options.batchObservations, run.state(host).isActive else { return }
        // Only a task that observes the host starts a lookahead (a set_fact or debug waits for the next one).
        guard let first = await probes(for: entry, on: nil), let connection = first.connection,
              connection.enabled, !connection.isCovered(Self.key(entry)) else { return }
        // Every read this task's observation needs is answered already (an earlier batch, or the reads
        // the last change carried along): no batch, its round trip would be for the tasks after it only.
        guard await needsReads(first.probes, through: connection) else { return }
        await lookahead(first.probes, covering: [Self.key(entry)], upcoming: Array(upcoming.prefix(connection.window - 1)),
                        through: connection, key: first.key)
    }

    /// Before fact gathering (`gather`, a read over `connection`, reached with settings `key`): the
    /// gathering and the observations of the play's first tasks go in one batch. Tasks whose arguments
    /// need the facts cannot render yet: they look ahead again when their turn comes.
    func prepareGathering(_ gather: Probe, through connection: PrefetchingConnection, key: String, upcoming: [TaskEntry]) async {
        guard run.options.batchObservations, connection.enabled else { return }
        await lookahead([gather], covering: [], upcoming: upcoming, through: connection, key: key)
    }

    /// Whether one of these probes needs a read the connection has no answer for.
    private func needsReads(_ probes: [Probe], through connection: PrefetchingConnection) async -> Bool {
        for probe in probes {
            let recorder = ReadRecorder(hostName: host) { connection.peek($0) }
            do {
                try await probe.observe(recorder)
            } catch is ReadRecorder.ReadDeferred {
                if !recorder.takeRequests().isEmpty { return true }
            } catch {
                continue   // the task's own run reports its errors
            }
        }
        return false
    }

    /// What the commands of `entry` that change the host carry along: the first reads of the next tasks'
    /// observations (a loop's own items too: each item observes after the one before changed the host),
    /// up to the connection's carried window. Rendered when the first change goes through, with what is
    /// known then (the task's own register is not yet): a guess that does not hold costs only a read.
    /// With `chainable` > 0 (the engine's play-wide rules allow it, and that many of `upcoming` come next
    /// whatever this task does, as long as it succeeds), a change that is the task's only command may also
    /// carry the next tasks' changes (ChainedChange).
    func planner(for entry: TaskEntry, upcoming: [TaskEntry], chainable: Int = 0) -> ReadPlanner? {
        guard run.options.batchObservations, entry.task.asyncSeconds == nil, entry.keywords.timeout == nil else { return nil }
        let lookahead = self
        let chains = chainable > 0 && play.taskTraits.mayChain(entry)
        return ReadPlanner(chains: chains, chain: { connection, known, length in
            guard chains else { return [] }
            return await lookahead.chain(upcoming, chainable: chainable, through: connection, known: known, length: length)
        }) { connection in
            guard connection.enabled else { return ReadPlan() }
            let positions = (entry.task.loop == nil ? [] : [entry]) + upcoming.prefix(connection.carriedWindow)
            var plan = ReadPlan()
            var budget = Self.maximumCarriedReads
            for position in positions where budget > 0 {
                guard let made = await lookahead.probes(for: position, on: (connection, connection.cacheKey)) else { continue }
                let (requests, complete) = await lookahead.firstReads(of: made.probes, budget: budget)
                budget -= requests.count
                // The current task is not marked covered: its turn is over.
                let covered = complete && position.id != entry.id
                plan.positions.append(ReadPlan.Position(key: covered ? Self.key(position) : nil, requests: requests))
            }
            return plan
        }
    }

    /// The positions of a chain: the next tasks rehearsed from `known` (what the host answered before the
    /// change that carries them) while they may run ahead, up to `length`; then up to `length` more whose
    /// observations' first reads are only carried along (the next chain's rehearsals use them).
    private func chain(_ upcoming: [TaskEntry], chainable: Int, through connection: PrefetchingConnection,
                       known: [ReadRequest: CommandResult], length: Int) async -> [ChainedPosition] {
        var positions: [ChainedPosition] = []
        // What the host will answer when each next task's turn comes, as far as the controller can tell: what
        // it answered before, with the files the changes ahead write (checked on the host all the same).
        var known = known
        var budget = Self.maximumChainReads
        var rehearsing = true
        var rehearsed = 0, carried = 0
        for (index, position) in upcoming.enumerated() {
            guard budget > 0, carried < length else { break }
            guard let made = await probes(for: position, on: (connection, connection.cacheKey)) else {
                // Not a module over this connection (set_fact, include, another user): nothing runs ahead past it.
                rehearsing = false
                continue
            }
            let mayRunAhead = rehearsing && index < chainable && rehearsed < length && play.taskTraits.mayChain(position)
            if mayRunAhead, made.probes.isEmpty {
                continue   // its `when` does not hold: skipped in its turn too, nothing to observe
            }
            if mayRunAhead, made.probes.count == 1, let rehearse = made.probes[0].rehearse {
                let answers = known
                let recorder = RehearsalConnection(hostName: host) { answers[$0] }
                if let rehearsal = await rehearse(recorder), recorder.reads.count <= budget {
                    let reads = recorder.reads
                    budget -= reads.count
                    rehearsed += 1
                    var change: ChangeRequest?
                    if case .change(let request, let writes) = rehearsal {
                        change = request
                        for write in writes { PathObservation.predict(&known, after: write) }
                    }
                    positions.append(ChainedPosition(key: Self.key(position), reads: reads.map(\.0), expected: reads.map(\.1), change: change))
                    continue
                }
            }
            rehearsing = false
            let (requests, complete) = await firstReads(of: made.probes, budget: budget)
            budget -= requests.count
            carried += 1
            positions.append(ChainedPosition(key: complete ? Self.key(position) : nil, reads: requests))
        }
        return positions
    }

    /// The reads a task's observations start with (they depend on nothing the host answers), at most
    /// `budget`; complete when they are all its observations need to start (none failed, none cut off).
    private func firstReads(of probes: [Probe], budget: Int) async -> (requests: [ReadRequest], complete: Bool) {
        var requests: [ReadRequest] = []
        var complete = true
        for probe in probes {
            let recorder = ReadRecorder(hostName: host) { _ in nil }
            do {
                try await probe.observe(recorder)
            } catch is ReadRecorder.ReadDeferred {
                requests += recorder.takeRequests()
            } catch {
                complete = false
            }
        }
        if requests.count > budget {
            return (Array(requests.prefix(budget)), false)
        }
        return (requests, complete)
    }

    private func lookahead(_ initial: [Probe], covering initiallyCovered: [String], upcoming: [TaskEntry],
                           through connection: PrefetchingConnection, key: String?) async {
        let generation = connection.generation
        var probes = initial
        // A task whose arguments cannot be rendered yet (a register of a task before it) stays uncovered:
        // when its turn comes it looks ahead again, from there.
        var covered = initiallyCovered
        for next in upcoming {
            guard let more = await self.probes(for: next, on: (connection, key)) else { continue }
            probes += more.probes
            covered.append(Self.key(next))
        }
        let answers = await observe(probes, through: connection)
        connection.store(answers, covering: covered, generation: generation)
    }

    /// Runs every probe against a recorder, batch by batch, until none needs another read.
    private func observe(_ probes: [Probe], through connection: PrefetchingConnection) async -> [ReadRequest: (CommandResult, Int)] {
        var answers: [ReadRequest: CommandResult] = [:]
        var uses: [ReadRequest: Int] = [:]
        var pending = probes
        passes: for _ in 0..<Self.passes where !pending.isEmpty {
            let known = answers
            // Answers an earlier lookahead took and nothing used yet are still good (no change since).
            var asked: [ReadRequest] = []
            var stillPending: [Probe] = []
            for probe in pending {
                let recorder = ReadRecorder(hostName: host) { known[$0] ?? connection.peek($0) }
                do {
                    try await probe.observe(recorder)
                } catch is ReadRecorder.ReadDeferred {
                    let requests = recorder.takeRequests()
                    guard !requests.isEmpty else { continue }   // a read with input: not batched
                    for request in requests {
                        if uses[request] == nil, answers[request] == nil, !asked.contains(request) { asked.append(request) }
                        uses[request, default: 0] += 1
                    }
                    stillPending.append(probe)
                } catch {
                    continue   // the task's own run reports its errors
                }
            }
            guard !asked.isEmpty else { break }
            // One batch per become setting (usually one): each runs as that user.
            var groups: OrderedDictionary<Become?, [ReadRequest]> = [:]
            for request in asked { groups[request.become, default: []].append(request) }
            for (become, requests) in groups {
                // A batch that could not run (or was interrupted): those tasks observe on their own. It only
                // reads, so a connection may repeat it (a reused master whose session turned out dead).
                guard let results = try? await HostReads.$readOnly.withValue(true, operation: {
                    try await CommandBatch.run(requests.map(\.script), become: become, on: connection.inner)
                }) else {
                    break passes
                }
                for (request, result) in zip(requests, results) { answers[request] = result }
            }
            pending = stillPending
        }
        var stored: [ReadRequest: (CommandResult, Int)] = [:]
        for (request, result) in answers { stored[request] = (result, uses[request] ?? 1) }
        return stored
    }

    /// The probes of one task (one per loop item that runs): nil when it cannot be looked at ahead (not a
    /// module, controller-only, async, delegated, or its arguments need something not known yet). With
    /// `connection`, only probes that would run over that same connection.
    private func probes(for entry: TaskEntry, on connection: (PrefetchingConnection, String?)?) async
        -> (probes: [Probe], connection: PrefetchingConnection?, key: String?)? {
        let cacheKey = "\(ObjectIdentifier(play))|\(host)|\(Self.key(entry))"
        guard let rendered = await run.probeCache.probes(key: cacheKey, host: host, version: run.state(host).version, blockVars: entry.blockVars,
                                                         render: { await render(entry) }) else { return nil }
        guard let (wanted, wantedKey) = connection else { return (rendered.probes, rendered.connection, rendered.key) }
        // No item ran: nothing to observe, over whichever connection.
        guard let used = rendered.connection else { return ([], wanted, wantedKey) }
        // Only probes over that same connection, reached the same way.
        guard used === wanted, wantedKey == nil || rendered.key == wantedKey else { return nil }
        return (rendered.probes, used, rendered.key)
    }

    /// Renders the probes of one task (ProbeCache keeps them): what `probes(for:on:)` filters.
    private func render(_ entry: TaskEntry) async -> ProbeCache.Rendered? {
        let task = entry.task
        guard task.asyncSeconds == nil, let module = run.registry.runner(for: task.action), module.observesInBatch,
              !play.taskTraits.mayRunLookups(entry) else { return nil }
        do {
            let taskScope = try play.scope(for: host, entry: entry)
            let mode = try TaskSettings.mode(entry.keywords, scope: taskScope, options: run.options, at: task.location)
            let scope = TaskSettings.scope(taskScope, with: mode)
            let items: [Value?] = try task.loop.map { try LoopItems.resolve($0, in: scope, action: task.writtenAction).map { Optional($0) } } ?? [nil]
            let runner = TaskRunner(run: run, play: play, entry: entry, host: host)
            var probes: [Probe] = []
            var used: PrefetchingConnection?
            var usedKey: String?
            for (index, item) in items.enumerated() {
                let (itemScope, _) = TaskRunner.itemScope(scope, task: task, item: item, index: index, count: items.count)
                guard try itemScope.holds(entry.keywords.when) else { continue }
                let settings = try TaskSettings.resolve(entry.keywords, mode: mode, host: host, scope: itemScope, play: play,
                                                        run: run, at: task.location)
                // Delegated: another host's connection. With a timeout: the task's deadline must cover its observation.
                guard settings.target == host, settings.timeout == nil else { return nil }
                let access = try settings.access
                // A task that reaches the host another way (another remote_user) is not looked at: no
                // connection is opened ahead for it.
                let reachedBy = access.connection.cacheKey
                if let usedKey, usedKey != reachedBy { return nil }
                usedKey = reachedBy
                let opened = try await run.connection(for: host, settings: access.connection) as? PrefetchingConnection
                guard let opened, used == nil || used === opened else { return nil }
                used = opened
                let rendered = try itemScope.render(.dict(task.args), origin: task.argsLocation)
                let arguments = (rendered.dictValue ?? [:]).filter { $0.value != .string(VariableScope.omitToken) }
                let context = runner.hostContext(scope: itemScope, state: run.state(host), settings: settings, connection: opened,
                                                 become: access.become)
                let runMode: RunMode = mode.check ? .check : .apply
                var rehearse: (@Sendable (any Connection) async -> ModuleRunner.Rehearsal?)?
                if module.runsAhead, runMode == .apply, task.loop == nil, play.taskTraits.mayChain(entry) {
                    let nonces = run.scriptNonces, host = self.host, key = Self.key(entry)
                    rehearse = { connection in
                        var context = context
                        context.connection = connection
                        // The nonce the task's real run will have: its rehearsed change is the script it sends.
                        return await ScriptNonce.$current.withValue(nonces.nonce(host: host, task: key, claim: false)) {
                            await module.rehearse(arguments, on: context)
                        }
                    }
                }
                probes.append(Probe(observe: { connection in
                    var context = context
                    context.connection = connection
                    try await module.observe(arguments, on: context, mode: runMode)
                }, rehearse: rehearse))
            }
            return ProbeCache.Rendered(probes: probes, connection: used, key: usedKey)
        } catch {
            return nil
        }
    }
}
