import Crypto
import Foundation
import KeelBase
import Synchronization

/// A command that changes the host, as the persistent shell receives it: what a task's apply sends.
/// Equal only byte for byte (as ReadRequest): a change that ran ahead is handed only to the very script.
public struct ChangeRequest: Sendable, Equatable {
    public var script: String
    public var stdin: Data?
    public var become: Become?

    public init(script: String, stdin: Data?, become: Become?) {
        self.script = script
        self.stdin = stdin
        self.become = become
    }

    public static func == (lhs: ChangeRequest, rhs: ChangeRequest) -> Bool {
        lhs.become == rhs.become && lhs.stdin == rhs.stdin && ExactText.sameBytes(lhs.script, rhs.script)
    }
}

/// One task after the change that goes out, in a chain (ChainedChange): the reads its observation makes,
/// in order. With `expected` (what each read answered before the change, which the task's change was
/// rehearsed with) the position is guarded: its change, if it has one, runs only when every read still
/// answers exactly that. Without, its reads are only carried along (the next chain's rehearsals use them).
public struct ChainedPosition: Sendable {
    /// The lookahead key of the task, when these reads are all its observation needs.
    public var key: String?
    public var reads: [ReadRequest]
    public var expected: [CommandResult]?
    /// The change the task's apply sends, rehearsed from `expected`; nil when it plans no change.
    public var change: ChangeRequest?

    public init(key: String?, reads: [ReadRequest], expected: [CommandResult]? = nil, change: ChangeRequest? = nil) {
        self.key = key
        self.reads = reads
        self.expected = expected
        self.change = change
    }

    public var isGuarded: Bool { expected != nil }
}

/// A change and the changes of the tasks after it, in ONE round trip, with results exactly those of one
/// by one (Keel's first run: every task changes the host, and one round trip per task is most of the time
/// on a far host). Each next task was rehearsed on the controller from what the host answered before the
/// first change (its observation, its plan, and the one command its apply sends); on the host, in order:
/// - the first change, as PiggybackedChange runs it;
/// - for each next task, its observation's reads (each printed back as a batch prints it), compared with
///   the answers its rehearsal saw (status, and the SHA-256 of stdout and of stderr);
/// - only when every read still answers the same, and every change before it succeeded (status 0), its
///   change; otherwise no change after that point runs, and the remaining reads still run and come back.
/// So a task's change runs only where the one-by-one run would send exactly the same script: the same
/// observation gives the same plan, and its apply sends the command that was rehearsed. The connection
/// keeps each change's result and the reads after it (PrefetchingConnection) and gives them to the tasks
/// as their turns come, without another round trip.
public enum ChainedChange {
    /// Set around a module's apply that sends exactly one command (ModuleRunner counts them first): only
    /// then may that command carry the changes of the tasks after it, since nothing of its task comes after.
    @TaskLocal public static var isOnlyCommand = false
    /// The files that command writes (its rehearsal's WriteLog): the next tasks are rehearsed from what
    /// their observations of those files will answer after it.
    @TaskLocal public static var writes: [WriteLog.Write] = []

    public struct Outcome: Sendable {
        /// The first change's own result.
        public var change: CommandResult
        /// For each position, in order: the reads that came back, and the result of its change when it ran.
        public var positions: [(reads: [CommandResult], change: CommandResult?)]
    }

    /// Runs `script` (fed `stdin`) and then the positions, all with `become`, in one exchange. The first
    /// change is never run twice: when the output cannot be split, its result is recovered if the batch
    /// ended inside it, or a transport error says so.
    public static func run(_ script: String, stdin: Data?, then positions: [ChainedPosition], become: Become?,
                           on connection: any Connection) async throws -> Outcome {
        let marker = CommandBatch.newMarker()
        let batch = Self.script(script, firstReadsInput: !(stdin?.isEmpty ?? true), then: positions, marker: marker,
                                inline: scriptIsPrivate(become: become))
        let result = try await connection.run(batch, stdin: stdin, become: become)
        let shared = sharedReads(positions)
        let expected = zip(positions, shared).flatMap { position, shared in
            position.reads.indices.filter { shared[$0] == nil }.map { position.expected?[$0] } + (position.change == nil ? [] : [nil])
        }
        let count = 1 + expected.count
        let parsed = parse(stdout: result.stdout, stderr: result.stderr, marker: marker, count: count, expected: [nil] + expected)
        guard let first = parsed.first, let change = first else {
            let markerBytes = Data(marker.utf8)
            if result.stdout.range(of: markerBytes) == nil, result.stderr.range(of: markerBytes) == nil {
                return Outcome(change: result, positions: [])
            }
            throw TransportError.channelFailed(host: connection.hostName,
                detail: "a command ran, but its result could not be read back from the batch it was sent in (status \(result.status))")
        }
        connection.counters?.recordBatchedCommands(parsed.dropFirst().filter { $0 != nil }.count)
        var outcomes: [(reads: [CommandResult], change: CommandResult?)] = []
        var index = 1
        for (position, shared) in zip(positions, shared) {
            var reads: [CommandResult] = []
            for readIndex in position.reads.indices {
                if let source = shared[readIndex] {
                    reads.append(source.position == outcomes.count ? reads[source.read] : outcomes[source.position].reads[source.read])
                    continue
                }
                guard index < parsed.count, let read = parsed[index] else { break }
                reads.append(read)
                index += 1
            }
            guard reads.count == position.reads.count else {
                outcomes.append((reads, nil))
                break
            }
            var ran: CommandResult?
            if position.change != nil {
                guard index < parsed.count else {
                    outcomes.append((reads, nil))
                    break
                }
                ran = parsed[index]
                index += 1
            }
            outcomes.append((reads, ran))
        }
        return Outcome(change: change, positions: outcomes)
    }

    /// The batch: `ok` stays 1 while every change succeeded and every guarded read answered as rehearsed.
    /// A guarded read's output is compared on the host: a small path observation's or builtin text read's
    /// in a shell variable with the text the rehearsal saw (inlineExpectation), any other's in a private
    /// folder (binary-safe) by SHA-256; the folder and its sha256sum are made only when some read needs them.
    /// When it is what the rehearsal saw, only its marker comes back, with `=` for its status
    /// (the controller has the answer already), else its output is printed back. A change that does not
    /// run prints `-`; a change's input travels in the script as a printf format (ShellQuote.printfFormat). Without
    /// `inline` (a become wrapper puts the script in an argv) no read's answer is written in the script.
    static func script(_ change: String, firstReadsInput: Bool, then positions: [ChainedPosition], marker: String,
                       inline: Bool = true) -> String {
        var lines: [String] = []
        var index = 0
        func mark(_ status: String) -> String {
            defer { index += 1 }
            return "printf '%s %s\\n' '\(marker)_\(index)' \(status); printf '%s\\n' '\(marker)_\(index)' >&2"
        }
        let literals = positions.map { position in
            position.reads.indices.map { i in position.expected.flatMap { inline ? inlineExpectation(of: position.reads[i], $0[i]) : nil } }
        }
        let digestCompared = zip(positions, literals).contains { position, literals in
            position.isGuarded && literals.contains { $0 == nil }
        }
        lines.append("ok=1")
        lines.append("( eval \(ShellQuote.quote(change)) )\(firstReadsInput ? "" : " </dev/null"); s=$?; \(mark("\"$s\"")); [ \"$s\" = 0 ] || ok=0")
        if digestCompared {
            // A folder only this batch uses, removed when the batch ends however it ends.
            lines.append("k=\"${TMPDIR:-/tmp}/.keel-chain.\(AtomicReplacement.randomSuffix())\"")
            lines.append(#"if [ "$ok" = 1 ]; then mkdir -m 700 -- "$k" 2>/dev/null || ok=0; fi"#)
            lines.append(#"trap 'rm -rf -- "$k"' EXIT"#)
            // Same SHA-256 as the controller's, or (for an empty expectation) an empty file; a host without
            // sha256sum never matches, so nothing runs ahead there.
            lines.append(#"keel_same() { if [ -s "$1" ]; then [ -n "$2" ] && [ "$(sha256sum < "$1" 2>/dev/null)" = "$2  -" ]; else [ -z "$2" ]; fi; }"#)
        }
        for ((position, literals), shared) in zip(zip(positions, literals), sharedReads(positions)) {
            for (readIndex, read) in position.reads.enumerated() where shared[readIndex] == nil {
                // A guarded read is written once, in `r`, whichever way it runs.
                let quoted = ShellQuote.quote(read.script)
                guard let expected = position.expected?[readIndex] else {
                    lines.append("( eval \(quoted) ) </dev/null; s=$?; \(mark("\"$s\""))")
                    continue
                }
                if let literal = literals[readIndex] {
                    // Compared in the shell itself: no file, no sha256sum, one process (the command
                    // substitution). Its EXIT trap appends the status, also when the read ends with `exit`
                    // (creates guards do). stderr is captured with stdout: the rehearsal saw none, so any
                    // makes the text differ. On a mismatch the read runs again to print its exact bytes
                    // (it only reads; the captured copy lost any NUL byte and mixed the two streams).
                    lines.append("""
                        r=\(quoted); if [ "$ok" = 1 ]; then o=$(trap 'printf " %s" "$?"' EXIT; eval "$r" </dev/null 2>&1); \
                        if [ "$o" = \(literal) ]; then s='='; \
                        else ok=0; ( eval "$r" ) </dev/null; s=$?; fi; \
                        else ( eval "$r" ) </dev/null; s=$?; fi; \(mark("\"$s\""))
                        """)
                    continue
                }
                let out = expected.stdout.isEmpty ? "''" : "'\(hexString(SHA256.hash(data: expected.stdout)))'"
                let err = expected.stderr.isEmpty ? "''" : "'\(hexString(SHA256.hash(data: expected.stderr)))'"
                lines.append("""
                    r=\(quoted); if [ "$ok" = 1 ]; then ( eval "$r" ) </dev/null >"$k/o" 2>"$k/e"; s=$?; \
                    if [ "$s" = \(expected.status) ] && keel_same "$k/o" \(out) && keel_same "$k/e" \(err); then s='='; \
                    else ok=0; [ ! -s "$k/o" ] || cat -- "$k/o"; [ ! -s "$k/e" ] || cat -- "$k/e" >&2; fi; \
                    else ( eval "$r" ) </dev/null; s=$?; fi; \(mark("\"$s\""))
                    """)
            }
            guard let change = position.change else { continue }
            let run: String
            if let input = change.stdin, !input.isEmpty, AtomicReplacement.takesInlineInput(change.script) {
                // A file write takes its content from a variable, written with the builtin printf.
                run = "( keel_inline_input='\(ShellQuote.printfFormat(input))'; eval \(ShellQuote.quote(change.script)) ) </dev/null"
            } else if let input = change.stdin, !input.isEmpty {
                // Through a pipe, not a file: the content (a key, a password file) never rests in the temporary folder.
                run = "printf '\(ShellQuote.printfFormat(input))' | ( eval \(ShellQuote.quote(change.script)) )"
            } else {
                run = "( eval \(ShellQuote.quote(change.script)) ) </dev/null"
            }
            lines.append("if [ \"$ok\" = 1 ]; then \(run); s=$?; [ \"$s\" = 0 ] || ok=0; else s=-; fi; \(mark("\"$s\""))")
        }
        lines.append("exit 0")
        return lines.joined(separator: "\n")
    }

    /// For each position's reads, where an unguarded read repeats an unguarded read made before it with
    /// no change in between (the reads a chain carries after its changes: ten lineinfile tasks on one file
    /// read it ten times), the read that runs: the repeat does not run again and is given its answer, as
    /// a batch answers identical reads once. Nil for a read that runs.
    static func sharedReads(_ positions: [ChainedPosition]) -> [[(position: Int, read: Int)?]] {
        var made: [ReadRequest: (position: Int, read: Int)] = [:]
        return positions.enumerated().map { index, position in
            defer { if position.change != nil { made.removeAll() } }
            return position.reads.enumerated().map { readIndex, read in
                guard !position.isGuarded else { return nil }
                if let earlier = made[read] { return earlier }
                made[read] = (index, readIndex)
                return nil
            }
        }
    }

    /// Whether a batch's script may hold content (a file's bytes, a read's answer): not under become,
    /// whose wrapper (sudo's or su's `/bin/sh -c SCRIPT`) puts the script in an argv, which any user of
    /// the host can read in its process list; there only digests go in it (PrefetchingConnection.sendable
    /// ends a chain at a change with input).
    static func scriptIsPrivate(become: Become?) -> Bool { become == nil }

    /// The largest answer of a guarded read compared as text in the script (a bigger one by its SHA-256).
    static let maximumInlineExpectation = 4096

    /// The shell word a guarded read's captured output (stdout, a space, the status) must equal, when the
    /// comparison can be made with builtins and still be exact: a path observation's answer (its size
    /// field makes a NUL byte that command substitution drops show as a difference) or a builtin text
    /// read's (it cannot print a NUL byte), small, valid UTF-8 without NUL, and no stderr expected. Nil:
    /// the read is compared by SHA-256.
    static func inlineExpectation(of read: ReadRequest, _ expected: CommandResult) -> String? {
        guard expected.stderr.isEmpty, expected.stdout.count <= maximumInlineExpectation, !expected.stdout.contains(0),
              PathObservation.recognise(read.script) != nil || BuiltinTextRead.recognise(read.script),
              let text = String(data: expected.stdout, encoding: .utf8) else { return nil }
        return ShellQuote.quote(text + " \(expected.status)")
    }

    /// Splits both streams at the markers, as CommandBatch.parse does; a status of `-` is a change that did
    /// not run (nil), `=` a read that answered `expected` (the same index). Stops at the first marker missing
    /// (the batch was cut short).
    static func parse(stdout: Data, stderr: Data, marker: String, count: Int, expected: [CommandResult?]) -> [CommandResult?] {
        var results: [CommandResult?] = []
        var out = stdout.startIndex, err = stderr.startIndex
        for index in 0..<count {
            let tag = Data("\(marker)_\(index)".utf8)
            guard let outMark = stdout.range(of: tag + Data(" ".utf8), in: out..<stdout.endIndex),
                  let lineEnd = stdout[outMark.upperBound...].firstIndex(of: 0x0A),
                  let errMark = stderr.range(of: tag + Data("\n".utf8), in: err..<stderr.endIndex) else { return results }
            let field = String(decoding: stdout[outMark.upperBound..<lineEnd], as: UTF8.self)
            if field == "-" {
                results.append(nil)
            } else if field == "=" {
                guard index < expected.count, let same = expected[index], outMark.lowerBound == out, errMark.lowerBound == err else { return results }
                results.append(same)
            } else {
                guard let status = Int32(field) else { return results }
                results.append(CommandResult(status: status, stdout: Data(stdout[out..<outMark.lowerBound]),
                                             stderr: Data(stderr[err..<errMark.lowerBound]),
                                             signal: status > 128 ? SSHShellRunner.signalName(status - 128) : nil))
            }
            out = lineEnd + 1
            err = errMark.upperBound
        }
        return results
    }
}

/// The connection a task's rehearsal runs against (ChainedChange): its observation is answered from what
/// the host answered before (`known`; an unknown read stops the rehearsal with ReadDeferred), and every
/// command its apply sends is recorded and answered as a success with no output.
public final class RehearsalConnection: Connection, Sendable {
    public let hostName: String
    private let known: @Sendable (ReadRequest) -> CommandResult?
    private let log = Mutex<(reads: [(ReadRequest, CommandResult)], changes: [ChangeRequest])>(([], []))

    public init(hostName: String, known: @escaping @Sendable (ReadRequest) -> CommandResult?) {
        self.hostName = hostName
        self.known = known
    }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        if HostReads.readOnly {
            let request = ReadRequest(script: script, become: become)
            guard stdin == nil, let answer = known(request) else { throw ReadRecorder.ReadDeferred() }
            log.withLock { $0.reads.append((request, answer)) }
            return answer
        }
        log.withLock { $0.changes.append(ChangeRequest(script: script, stdin: stdin, become: become)) }
        return CommandResult(status: 0, stdout: Data(), stderr: Data())
    }

    public func close() async {}

    /// The reads the observation made, in order, with their answers.
    public var reads: [(ReadRequest, CommandResult)] { log.withLock { $0.reads } }
    /// The commands the apply sent, in order.
    public var changes: [ChangeRequest] { log.withLock { $0.changes } }
}
