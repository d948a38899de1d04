import Foundation
import KeelBase
import KeelModules
import KeelReport
import KeelTransport
import OrderedCollections

/// `async`/`poll` and `async_status`, with ansible-core 2.19's results: a module that is one script on the
/// host (command, shell) runs detached there (AsyncJob); `poll > 0` checks its state every `poll` seconds
/// until it ends or `async` seconds pass, `poll: 0` returns at once with the job id for async_status.
/// Other modules are run from the controller: with `poll > 0` under a deadline of `async` seconds.
extension TaskRunner {
    /// Ansible's default poll interval (DEFAULT_POLL_INTERVAL).
    static let defaultPoll = 15

    func runAsync(_ module: ModuleRunner, arguments: OrderedDictionary<String, Value>, context: HostContext, check: Bool,
                  seconds: Int, poll: Int, asyncDirectory: String?) async throws -> Attempt {
        let mode: RunMode = check ? .check : .apply
        guard let detached = module.detached else {
            guard poll > 0 else {
                return Attempt(status: .failed, message: "async with poll: 0 needs a module Keel runs as one command on the host "
                               + "(command, shell); '\(module.name)' is run from the controller, so it cannot outlive the task")
            }
            let job = AsyncJob.newID()
            do {
                let result = try await TaskDeadline.run(seconds: seconds, action: module.name, host: host) {
                    try await module.run(arguments, at: task.argsLocation, on: context, mode: mode)
                }
                var attempt = Self.attempt(result)
                attempt.values["ansible_job_id"] = .string(job)
                attempt.values["started"] = true
                attempt.values["finished"] = true
                return attempt
            } catch is TaskDeadline.Expired {
                return Attempt(status: .failed, message: "async task did not complete within the requested time - \(seconds)s",
                               values: ["ansible_job_id": .string(job)])
            }
        }
        let job = AsyncJob(jid: AsyncJob.newID(), configured: asyncDirectory)
        switch try await detached.start(arguments, at: task.argsLocation, on: context, mode: mode) {
        case .finished(let result):
            // Nothing to run (a creates= guard held, or check mode): the result is the job's, at once.
            guard poll == 0 else { return Self.attempt(result) }
            var recorded = Self.attempt(result).registerValue
            recorded["ansible_job_id"] = .string(job.jid)
            let written = try await context.run(job.recordScript(.dict(recorded)))
            guard written.status == 0 else { return Attempt(status: .failed, message: "could not record the async job: \(written.stderrText)") }
            return fired(job, resultsFile: written.stdoutText)
        case .launch(let script, let plan):
            let started = try await context.run(job.launchScript(module: module.name, script: script, plan: plan, exports: "", limit: seconds))
            guard started.status == 0 else {
                return Attempt(status: .failed, message: "could not start the async job: \(started.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
            }
            if poll == 0 { return fired(job, resultsFile: started.stdoutText) }
            var timeLeft = seconds
            var last = Attempt(status: .ok)
            while timeLeft > 0 {
                try await _Concurrency.Task.sleep(for: .seconds(poll))
                timeLeft -= poll
                let (attempt, finished) = try await status(job, on: context)
                if finished { _ = try? await context.run(job.cleanupScript); return attempt }
                last = attempt
            }
            // The watcher ends the job when its time is up: give it a moment to record that.
            try await _Concurrency.Task.sleep(for: .seconds(1))
            let (attempt, finished) = try await status(job, on: context)
            if finished { _ = try? await context.run(job.cleanupScript); return attempt }
            return Attempt(status: .failed, message: "async task did not complete within the requested time - \(seconds)s",
                           values: ["async_result": .dict(last.registerValue)])
        }
    }

    /// async_status: the job's state (or, in cleanup mode, its files removed) as the task's result.
    func asyncStatus(jid: String, mode: String, settings: TaskSettings, asyncDirectory: String?) async throws -> Attempt {
        let access = try settings.access
        let connection: any Connection
        do {
            connection = try await run.connection(for: settings.target, settings: access.connection)
        } catch {
            return Attempt(status: .unreachable, message: "\(error)")
        }
        var context = HostContext(name: host, connection: connection, become: access.become)
        context.environment = settings.environment
        let job = AsyncJob(jid: jid, configured: asyncDirectory)
        do {
            if mode == "cleanup" {
                let result = try await context.run(job.cleanupScript)
                let lines = result.stdoutText.split(separator: "\n").map(String.init)
                guard lines.count >= 2, lines[1] == "erased" else { return Self.missing(jid) }
                return Attempt(status: .ok, values: ["ansible_job_id": .string(jid), "erased": .string(lines[0]), "started": false,
                                                     "finished": false, "stdout": "", "stderr": "", "stdout_lines": [], "stderr_lines": []])
            }
            return try await status(job, on: context).attempt
        } catch let error as TransportError where error.isUnreachable {
            await run.dropConnections(host: settings.target)
            return Attempt(status: .unreachable, message: "\(error)")
        }
    }

    /// The job's state as async_status reports it, and whether the job has finished.
    private func status(_ job: AsyncJob, on context: HostContext) async throws -> (attempt: Attempt, finished: Bool) {
        let result = try await context.run(job.statusScript)
        let (path, state) = try AsyncJob.parseStatus(result.stdout)
        var values: OrderedDictionary<String, Value> = ["ansible_job_id": .string(job.jid), "started": true, "finished": false,
                                                        "results_file": .string(path), "stdout": "", "stderr": "",
                                                        "stdout_lines": [], "stderr_lines": []]
        switch state {
        case .missing:
            return (Self.missing(job.jid), true)
        case .running:
            return (Attempt(status: .ok, values: values), false)
        case .recorded(let data):
            guard let recorded = (try? Value.parseJSON(String(decoding: data, as: UTF8.self)))?.dictValue else {
                return (Attempt(status: .failed, message: "Could not parse job output: \(String(decoding: data, as: UTF8.self))",
                                values: values.merging(["finished": true]) { $1 }), true)
            }
            if recorded["started"] != nil, recorded["finished"]?.isTruthy != true { return (Attempt(status: .ok, values: values), false) }
            for (key, value) in recorded { values[key] = value }
            values["finished"] = true
            let status: HostTaskResult.Status = recorded["failed"]?.isTruthy == true ? .failed : recorded["skipped"]?.isTruthy == true ? .skipped
                : recorded["changed"]?.isTruthy == true ? .changed : .ok
            return (Attempt(status: status, message: recorded["msg"]?.stringValue, values: values), true)
        case .finished(let finished):
            values["finished"] = true
            if finished.timedOut {
                if let pid = finished.pid { values["child_pid"] = .int(pid) }
                return (Attempt(status: .failed, message: "Timeout exceeded", values: values), true)
            }
            guard let detached = run.registry.runner(for: finished.module)?.detached else {
                return (Attempt(status: .failed, message: "the async job was started by a module Keel does not know: '\(finished.module)'",
                                values: values), true)
            }
            let result = try detached.finish(plan: finished.plan, output: finished.output)
            var attempt = Self.attempt(result)
            for (key, value) in values where attempt.values[key] == nil || ["ansible_job_id", "started", "finished", "results_file"].contains(key) {
                attempt.values[key] = value
            }
            return (attempt, true)
        }
    }

    private func fired(_ job: AsyncJob, resultsFile: String) -> Attempt {
        Attempt(status: .changed, values: ["ansible_job_id": .string(job.jid), "started": true, "finished": false,
                                           "results_file": .string(resultsFile.trimmingCharacters(in: .whitespacesAndNewlines))])
    }

    private static func missing(_ jid: String) -> Attempt {
        Attempt(status: .failed, message: "could not find job", values: ["ansible_job_id": .string(jid), "started": true, "finished": true])
    }

    static func attempt(_ result: ModuleResult) -> Attempt {
        let status: HostTaskResult.Status = result.failed ? .failed : result.skipped ? .skipped : result.changed ? .changed : .ok
        return Attempt(status: status, message: result.message, values: result.values, diffs: result.diffs)
    }
}
