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

/// The shell program that stops a command started by the persistent shell: its process group (it runs
/// under setsid, so the group is the command and everything it started), or, where the host has no
/// setsid, the process and its direct children.
enum RemoteStop {
    static func script(pid: Int, signal: String) -> String {
        "kill -\(signal) -- -\(pid) 2>/dev/null || { pkill -\(signal) -P \(pid) 2>/dev/null; kill -\(signal) \(pid) 2>/dev/null; }; true"
    }
}
