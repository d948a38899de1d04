import Foundation
import KeelBase
import KeelModules
import KeelTransport

/// wait_for_connection and reboot, which need what a module never has: dropping the host's connection
/// and opening new ones until the host answers. Messages and results are ansible-core 2.19's.
extension TaskRunner {
    func waitForConnection(_ wait: ConnectionWait, settings: TaskSettings) async throws -> Attempt {
        if settings.mode.check { return Attempt(status: .skipped) }
        let started = Date()
        if wait.delay > 0 { try await _Concurrency.Task.sleep(for: .seconds(wait.delay)) }
        let deadline = Date().addingTimeInterval(Double(wait.timeout))
        var lastError = ""
        repeat {
            do {
                _ = try await fresh("true", settings: settings, connectTimeout: wait.connectTimeout, requireSuccess: true)
                return Attempt(status: .ok, values: ["elapsed": .int(Int(Date().timeIntervalSince(started)))])
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                lastError = TaskRunner.failureMessage(error)
            }
            if wait.sleep > 0 { try await _Concurrency.Task.sleep(for: .seconds(wait.sleep)) }
        } while Date() < deadline
        return Attempt(status: .failed, message: "timed out waiting for ping module test: \(lastError)",
                       values: ["elapsed": .int(Int(Date().timeIntervalSince(started)))])
    }

    func reboot(_ request: RebootRequest, settings: TaskSettings) async throws -> Attempt {
        if settings.mode.check { return Attempt(status: .changed, values: ["elapsed": 0, "rebooted": true]) }
        if case .local = try settings.access.connection.kind {
            return Attempt(status: .failed, message: "Running reboot with local connection would reboot the control node.",
                           values: ["elapsed": 0, "rebooted": false])
        }
        let started = Date()
        func elapsed() -> Value { .int(Int(Date().timeIntervalSince(started))) }
        let previous: String
        do {
            previous = try await fresh(request.bootTimeCommand, settings: settings, connectTimeout: request.connectTimeout, requireSuccess: true)
        } catch {
            return Attempt(status: .failed, message: TaskRunner.failureMessage(error), values: ["reboot": false])
        }
        let command = request.rebootCommand ?? Self.shutdownCommand(request)
        do {
            let result = try await fresh(command, settings: settings, connectTimeout: request.connectTimeout, requireSuccess: false, raw: true)
            if let failed = result.failure {
                return Attempt(status: .failed, message: "Reboot command failed. Error was: '\(failed.stdout), \(failed.stderr)'",
                               values: ["rebooted": false, "elapsed": elapsed()])
            }
        } catch let error as TransportError {
            _ = error   // the host went down under the command: that is the reboot
        }
        if request.postRebootDelay > 0 { try await _Concurrency.Task.sleep(for: .seconds(request.postRebootDelay)) }
        let deadline = Date().addingTimeInterval(Double(request.rebootTimeout))
        if !(try await untilSuccess(deadline: deadline, {
            let now = try await fresh(request.bootTimeCommand, settings: settings, connectTimeout: request.connectTimeout, requireSuccess: true)
            if now == previous { throw KeelError("boot time has not changed") }
        })) {
            return Attempt(status: .failed, message: "Timed out waiting for last boot time check (timeout=\(request.rebootTimeout))",
                           values: ["rebooted": true, "elapsed": elapsed()])
        }
        if !(try await untilSuccess(deadline: deadline, {
            _ = try await fresh(request.testCommand, settings: settings, connectTimeout: request.connectTimeout, requireSuccess: true)
        })) {
            return Attempt(status: .failed, message: "Timed out waiting for post-reboot test command (timeout=\(request.rebootTimeout))",
                           values: ["rebooted": true, "elapsed": elapsed()])
        }
        return Attempt(status: .changed, values: ["rebooted": true, "elapsed": elapsed()])
    }

    /// Linux's default, as Ansible builds it: shutdown found in the search paths, the delay in whole minutes.
    static func shutdownCommand(_ request: RebootRequest) -> String {
        let candidates = request.searchPaths.map { ShellQuote.quote($0 + "/shutdown") }.joined(separator: " ")
        return "for s in \(candidates); do if [ -x \"$s\" ]; then exec \"$s\" -r \(request.preRebootDelay / 60) \(ShellQuote.quote(request.message)); fi; done; "
            + "echo 'Unable to find command \"shutdown\" in search paths' >&2; exit 1"
    }

    /// Tries `body` until it succeeds or the deadline passes, backing off as Ansible does (up to 12 s).
    private func untilSuccess(deadline: Date, _ body: () async throws -> Void) async throws -> Bool {
        var failures = 0
        while Date() < deadline {
            do {
                try await body()
                return true
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                failures += 1
                let pause = min(Double(1 << min(failures, 4)), 12)
                try await _Concurrency.Task.sleep(for: .seconds(min(pause, max(0.1, deadline.timeIntervalSinceNow))))
            }
        }
        return false
    }

    struct FreshResult {
        var failure: (stdout: String, stderr: String)?
    }

    /// Runs `command` through a new connection (the pooled one may be dead after a reboot), the attempt
    /// bounded by `connectTimeout`; returns its trimmed stdout, or throws when it fails and `requireSuccess`.
    @discardableResult
    private func fresh(_ command: String, settings: TaskSettings, connectTimeout: Int?, requireSuccess: Bool) async throws -> String {
        let result = try await freshResult(command, settings: settings, connectTimeout: connectTimeout)
        if requireSuccess, result.status != 0 {
            throw KeelError("'\(command)' failed: \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)) \(result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func fresh(_ command: String, settings: TaskSettings, connectTimeout: Int?, requireSuccess: Bool, raw: Bool) async throws -> FreshResult {
        let result = try await freshResult(command, settings: settings, connectTimeout: connectTimeout)
        guard result.status != 0 else { return FreshResult() }
        return FreshResult(failure: (result.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines),
                                     result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    private func freshResult(_ command: String, settings: TaskSettings, connectTimeout: Int?) async throws -> CommandResult {
        let access = try settings.access
        await run.dropConnections(host: settings.target)
        let host = settings.target, run = self.run
        let open = { @Sendable () async throws -> any Connection in try await run.connection(for: host, settings: access.connection) }
        let connection = try await TaskDeadline.run(seconds: connectTimeout, action: "connect", host: host, open)
        return try await connection.run(command, stdin: nil, become: access.become)
    }
}
