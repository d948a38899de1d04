import Foundation
import KeelBase

/// The `timeout` task keyword, enforced: the action races a clock; when the clock wins, the action's
/// task is cancelled, which stops its remote command (the connection signals the command's process
/// group) and the task fails with Ansible's message. An interrupted run (Ctrl-C) is not a timeout.
enum TaskDeadline {
    struct Expired: Error, CustomStringConvertible {
        var action: String
        var seconds: Int
        var description: String {
            "The \(action) action failed to execute in the expected time frame (\(seconds)) and was terminated"
        }
    }

    static func run<T: Sendable>(seconds: Int?, action: String, host: String,
                                 _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let seconds, seconds > 0 else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await _Concurrency.Task.sleep(for: .seconds(seconds))
                return nil
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let value = next { return value }
                // The clock won: stop the action and wait until it has stopped (its command is gone).
                group.cancelAll()
                while let _ = try? await group.next() {}
                throw Expired(action: action, seconds: seconds)
            }
            throw CancellationError()
        }
    }
}
