import Foundation
import Synchronization

/// Set when the task waiting for a command is cancelled (a `timeout`, or an interrupted run). The
/// blocking code that talks to the host polls it between reads, since it cannot be woken otherwise.
public final class CommandCancellation: Sendable {
    private let state = Mutex(false)

    public init() {}

    public var isCancelled: Bool { state.withLock { $0 } }
    public func cancel() { state.withLock { $0 = true } }

    /// Runs `body` with a flag that is set when the current task is cancelled.
    static func run<T>(_ body: (CommandCancellation) async throws -> T) async throws -> T {
        let flag = CommandCancellation()
        return try await withTaskCancellationHandler {
            try await body(flag)
        } onCancel: {
            flag.cancel()
        }
    }
}

/// The shell program that stops a command the persistent shell started: the subshell and every process
/// below it (found through /proc/<pid>/task/*/children, or pgrep -P where that is missing). Each process
/// is stopped before its children are listed, so none can fork a child that escapes the listing; then
/// all are signalled and continued. A process that daemonized itself (left the tree) is left alone.
enum RemoteStop {
    static func script(pid: Int, signal: String) -> String {
        """
        keel_stop() { kill -STOP "$1" 2>/dev/null; echo "$1"; for c in $(cat /proc/$1/task/*/children 2>/dev/null || pgrep -P "$1"); do keel_stop "$c"; done; }
        keel_pids=$(keel_stop \(pid))
        kill -\(signal) $keel_pids 2>/dev/null; kill -CONT $keel_pids 2>/dev/null; true
        """
    }
}
