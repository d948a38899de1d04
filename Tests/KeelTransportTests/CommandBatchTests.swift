import Foundation
import Testing
import KeelTransport

/// Several scripts in one round trip (issue 22), run for real through a local connection: each keeps its
/// own status and output, byte for byte, as if it had been run alone.
@Suite("Command batches") struct CommandBatchTests {
    @Test func eachScriptKeepsItsStatusAndItsOutputsApart() async throws {
        let connection = LocalConnection()
        let scripts = [
            #"printf 'a\000b\377\n'; printf 'to-stderr' >&2; exit 7"#,
            "printf no-newline",
            "true",
            "cd /; KEEL_LEAK=1; echo \"it's quoted\"; exit 0",
            #"echo "leak=${KEEL_LEAK:-none} pwd=$(pwd)""#,
            "sh -c 'kill -TERM $$'",
        ]
        let results = try #require(try await CommandBatch.run(scripts, become: nil, on: connection))
        #expect(results.count == 6)
        #expect(results[0].status == 7)
        #expect(results[0].stdout == Data([0x61, 0x00, 0x62, 0xFF, 0x0A]))
        #expect(results[0].stderr == Data("to-stderr".utf8))
        #expect(results[1].stdout == Data("no-newline".utf8) && results[1].status == 0)
        #expect(results[2].stdout.isEmpty && results[2].stderr.isEmpty && results[2].status == 0)
        #expect(results[3].stdoutText == "it's quoted\n")
        #expect(results[4].stdoutText == "leak=none pwd=\(FileManager.default.currentDirectoryPath)\n", "no state leaks between scripts")
        #expect(results[5].status == 143 && results[5].signal == "TERM")
    }

    @Test func oneBatchIsOneRoundTripAndCountsEveryCommand() async throws {
        let connection = LocalConnection()
        let before = try #require(connection.counters?.current)
        _ = try await CommandBatch.run(["echo one", "echo two", "echo three"], become: nil, on: connection)
        let after = try #require(connection.counters?.current)
        #expect(after.roundTrips - before.roundTrips == 1)
        #expect(after.commands - before.commands == 3)
        #expect(after.bytesReceived - before.bytesReceived > "one\ntwo\nthree\n".utf8.count)
    }

    @Test func aScriptThatDoesNotParseFailsAloneAsItWouldOnItsOwn() async throws {
        let connection = LocalConnection()
        let results = try #require(try await CommandBatch.run(["echo before", "if then fi (", "echo after"], become: nil, on: connection))
        let alone = try await connection.run("( eval 'if then fi (' )")
        #expect(results[0].stdoutText == "before\n" && results[2].stdoutText == "after\n")
        #expect(results[1].status == alone.status && results[1].status != 0)
    }

    @Test func aPrefetchingConnectionAnswersReadsOnlyAndForgetsOnAnyOtherCommand() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-prefetch-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let connection = PrefetchingConnection(LocalConnection())
        let read = "cat \(directory)/f 2>/dev/null || echo absent"
        let answers = try #require(try await CommandBatch.run([read], become: nil, on: connection.inner))
        connection.store([ReadRequest(script: read, become: nil): (answers[0], 2)], covering: ["t1"], generation: connection.generation)
        #expect(connection.isCovered("t1"))
        let trips = connection.counters?.current.roundTrips ?? 0
        // A read is answered from the batch, as many times as it was asked for ahead.
        #expect(try await HostReads.$readOnly.withValue(true) { try await connection.run(read) }.stdoutText == "absent\n")
        #expect(connection.counters?.current.roundTrips == trips, "answered without a round trip")
        // The same script outside a read runs for real (and may change the host): everything is forgotten.
        _ = try await connection.run("echo changed > \(directory)/f")
        #expect(!connection.isCovered("t1"))
        #expect(try await HostReads.$readOnly.withValue(true) { try await connection.run(read) }.stdoutText == "changed\n")
    }

    /// A change that ends the batch's own shell leaves no marker: it ran once, and what the host said is its
    /// result, exactly as alone; no read is kept.
    @Test func aChangeThatEndsTheBatchIsNeverRunTwiceAndKeepsItsOwnResult() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-carry-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let connection = LocalConnection()
        let change = "echo ran >> \(directory)/log; echo partial; echo oops >&2; kill -KILL $$"
        let alone = try await connection.run(change)
        let outcome = try await PiggybackedChange.run(change, stdin: nil, then: ["echo read"], become: nil, on: connection)
        #expect(outcome.change == alone, "alone \(alone); carried \(outcome.change)")
        #expect(outcome.reads == nil)
        #expect(try String(contentsOfFile: directory + "/log", encoding: .utf8) == "ran\nran\n", "once alone, once carried")
    }
}
