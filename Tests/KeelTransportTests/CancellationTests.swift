import Foundation
import KeelLab
import KeelTransport
import Testing

/// Cancelling the task that waits for a command stops the command on the host, with everything it
/// started, and leaves the connection usable (what `timeout` and Ctrl-C build on).
@Suite("Cancelling a remote command") struct CancellationTests {
    @Test func cancellingStopsTheCommandTreeAndTheConnectionStaysUsable() async throws {
        let host = try await LabTargets.hosts(1, prefix: "eng-cancel")[0]
        try LabTargets.inspect(host, "pkill -x sleep; true")
        let connection = try await LabTargets.connect(host)
        // A shell with a background child and a foreground one, and output already on both streams.
        let running = Task {
            try await connection.run("echo started; echo warming >&2; sleep 41 & sleep 42; wait")
        }
        var started = false
        for _ in 0..<50 where !started {
            try await Task.sleep(for: .milliseconds(100))
            started = try LabTargets.inspect(host, "pgrep -x sleep | wc -l").trimmingCharacters(in: .whitespacesAndNewlines) == "2"
        }
        #expect(started)
        let cancelled = Date()
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(Date().timeIntervalSince(cancelled) < 30, "stopped long before the sleeps (41 s) would end")
        #expect(try LabTargets.inspect(host, "pgrep -x sleep || echo none").trimmingCharacters(in: .whitespacesAndNewlines) == "none")
        // The same connection (and its persistent shell) runs the next command, with clean output.
        let next = try await connection.run("echo next; echo err >&2")
        #expect(next.stdoutText == "next\n")
        #expect(next.stderrText == "err\n")
        await connection.close()
    }

    @Test func stderrCarriesNoBookkeeping() async throws {
        let host = try await LabTargets.hosts(1, prefix: "eng-cancel")[0]
        let connection = try await LabTargets.connect(host)
        let result = try await connection.run("printf 'a'; printf 'b' >&2; exit 3")
        #expect(result.stdoutText == "a")
        #expect(result.stderrText == "b")
        #expect(result.status == 3)
        await connection.close()
    }
}
