import Foundation
import Synchronization

/// `connection: local`: scripts run with /bin/sh on the controller itself.
public final class LocalConnection: Connection, RawCommandRunner, @unchecked Sendable {
    // @unchecked: all stored properties are immutable; `privilege` is an actor.
    public let hostName: String
    private let privilege: PrivilegeEscalation
    public let counters: TransportCounters? = TransportCounters()

    public init(hostName: String = "localhost", becomePassword: String? = nil) {
        self.hostName = hostName
        self.privilege = PrivilegeEscalation(hostName: hostName, loginUser: NSUserName(), password: becomePassword)
    }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        if let become {
            let (command, input) = try await privilege.wrap(script, stdin: stdin, become: become, using: self)
            return try await runRaw(command, stdin: input)
        }
        return try await runRaw(script, stdin: stdin)
    }

    func runRaw(_ command: String, stdin: Data?) async throws -> CommandResult {
        let result = try await LocalConnection.spawn(arguments: ["-c", command], stdin: stdin)
        counters?.recordExchange(sent: command.utf8.count + (stdin?.count ?? 0), received: result.stdout.count + result.stderr.count)
        return result
    }

    public func close() async {}

    /// Runs /bin/sh with the arguments; stdin is written and both outputs drained concurrently so a
    /// chatty command cannot deadlock on a full pipe.
    /// Cancelling the calling task stops the command's process group and throws CancellationError.
    static func spawn(arguments: [String], stdin: Data?) async throws -> CommandResult {
        try _Concurrency.Task.checkCancellation()
        let running = RunningProcess()
        let result: CommandResult = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                Thread.detachNewThread {
                    do {
                        continuation.resume(returning: try spawnBlocking(arguments: arguments, stdin: stdin, running: running))
                    } catch {
                        continuation.resume(throwing: error)
                    }
                }
            }
        } onCancel: {
            running.cancel()
        }
        if running.wasCancelled { throw CancellationError() }
        return result
    }

    /// The pid of a running command and whether it was cancelled, whichever comes first.
    final class RunningProcess: Sendable {
        private let state = Mutex<(pid: pid_t?, cancelled: Bool)>((nil, false))
        var wasCancelled: Bool { state.withLock { $0.cancelled } }
        func started(_ pid: pid_t) {
            let cancelled = state.withLock { $0.pid = pid; return $0.cancelled }
            if cancelled { ChildProcess.stop(group: pid) }
        }
        func cancel() {
            let pid = state.withLock { $0.cancelled = true; return $0.pid }
            if let pid { ChildProcess.stop(group: pid) }
        }
    }

    /// "KILL" for 9, as ssh reports a signal; the number for the rare ones.
    static func signalName(_ number: Int32) -> String {
        let names: [Int32: String] = [1: "HUP", 2: "INT", 3: "QUIT", 6: "ABRT", 9: "KILL", 11: "SEGV", 13: "PIPE", 14: "ALRM", 15: "TERM"]
        return names[number] ?? String(number)
    }

    private static func spawnBlocking(arguments: [String], stdin: Data?, running: RunningProcess) throws -> CommandResult {
        let result = try ChildProcess.run("/bin/sh", arguments, stdin: stdin, started: running.started)
        return CommandResult(status: result.status, stdout: result.stdout, stderr: result.stderr,
                             signal: result.signal.map(Self.signalName))
    }
}
