import Foundation
import Testing
import KeelTransport

/// A change and the next tasks' reads in one round trip (issue 22): over SSH to a lab host, the change's
/// own result is byte for byte what it is alone (failing, with input read whole or in part, writing to
/// stderr, killed by a signal), and the reads describe the host after the change.
@Suite("Reads carried by a change", .serialized) struct PiggybackedChangeLabTests {
    /// Each case runs alone first, then the host is put back and it runs with reads after it.
    struct Case {
        var name: String
        var script: String
        var stdin: Data?
    }

    static let cases: [Case] = [
        Case(name: "fails", script: #"printf 'out\000put'; printf 'err-no-newline' >&2; exit 3"#),
        Case(name: "text input", script: "cat > /tmp/pbk/f; wc -c < /tmp/pbk/f", stdin: Data("hello\nworld\n".utf8)),
        Case(name: "binary input", script: "cat > /tmp/pbk/f; od -An -tx1 /tmp/pbk/f", stdin: Data([0x00, 0xFF, 0x41, 0x42])),
        Case(name: "reads part of its input", script: "head -c 3 > /tmp/pbk/f; echo read; cat /tmp/pbk/f >&2", stdin: Data("abcdef\nmore\n".utf8)),
        Case(name: "no input", script: "cat; echo \"status=$?\"; echo written > /tmp/pbk/f"),
        Case(name: "stderr only", script: "echo 'to stderr' >&2; mkdir /tmp/pbk/f/x"),
        Case(name: "signal", script: "echo before; sh -c 'kill -TERM $$'"),
        Case(name: "leaves state", script: "cd /tmp; KEEL_LEAK=1; export KEEL_LEAK; umask 077; echo x > /tmp/pbk/f"),
    ]

    static let reads = ["cat /tmp/pbk/f 2>&1; echo \"status=$?\"", #"echo "pwd=$(pwd) leak=${KEEL_LEAK:-none} umask=$(umask)""#,
                        "cat; echo stdin-done"]

    @Test func theChangesResultIsTheSameAsAloneAndTheReadsSeeTheHostAfterIt() async throws {
        let host = try await LabTargets.hosts(1, prefix: "pbk")[0]
        let connection = try await LabTargets.connect(host)
        for change in Self.cases {
            _ = try await connection.run("rm -rf /tmp/pbk; mkdir /tmp/pbk")
            let alone = try await connection.run(change.script, stdin: change.stdin, become: nil)
            let readsAlone = try await Self.reads.asyncMap { try await connection.run($0) }
            _ = try await connection.run("rm -rf /tmp/pbk; mkdir /tmp/pbk")
            let before = try #require(connection.counters?.current)
            let outcome = try await PiggybackedChange.run(change.script, stdin: change.stdin, then: Self.reads, become: nil, on: connection)
            let after = try #require(connection.counters?.current)
            #expect(outcome.change == alone, "\(change.name): alone \(alone), carried \(outcome.change)")
            #expect(outcome.reads == readsAlone, "\(change.name): the reads after the change")
            #expect(after.roundTrips - before.roundTrips == 1, "\(change.name): one exchange")
            #expect(after.commands - before.commands == 1 + Self.reads.count, "\(change.name): every command counted")
        }
        let signalled = try await connection.run(Self.cases[6].script)
        #expect(signalled.status == 143 && signalled.signal == "TERM", "the signal case is one: \(signalled)")
    }

    /// Through the host's PrefetchingConnection, as the engine uses it: a command that is not a read, with
    /// a plan set, carries the reads; they answer the next observations without another round trip; a big
    /// input, another become or no plan run the command alone.
    @Test func aPrefetchingConnectionCarriesThePlannedReadsOnAChange() async throws {
        let host = try await LabTargets.hosts(1, prefix: "pbk")[0]
        let connection = PrefetchingConnection(try await LabTargets.connect(host))
        let read = ReadRequest(script: "cat /tmp/pbk/g 2>/dev/null || echo absent", become: nil)
        let other = ReadRequest(script: "id -un", become: Become(user: "nobody"))
        let planner = ReadPlanner { _ in
            ReadPlan(positions: [.init(key: "next", requests: [read, read]), .init(key: "as-nobody", requests: [other])])
        }
        _ = try await connection.run("rm -rf /tmp/pbk; mkdir /tmp/pbk")
        let trips = { connection.counters?.current.roundTrips ?? 0 }
        let start = trips()
        let changed = try await ReadPlanner.$current.withValue(planner) {
            try await connection.run("cat > /tmp/pbk/g; echo wrote", stdin: Data("new\n".utf8), become: nil)
        }
        #expect(changed.stdoutText == "wrote\n" && changed.status == 0)
        #expect(trips() - start == 1)
        #expect(connection.isCovered("next") && !connection.isCovered("as-nobody"), "a read with another become is not carried")
        // Asked for twice ahead: answered twice from the carried read, after the change.
        for _ in 0..<2 {
            #expect(try await HostReads.$readOnly.withValue(true) { try await connection.run(read.script) }.stdoutText == "new\n")
        }
        #expect(trips() - start == 1, "answered without a round trip")
        #expect(try await HostReads.$readOnly.withValue(true) { try await connection.run(read.script) }.stdoutText == "new\n")
        #expect(trips() - start == 2, "a third read was not asked for: it runs")
        // A big input (a file upload) runs alone: nothing carried.
        let big = Data(repeating: 0x61, count: PiggybackedChange.maximumInput + 1)
        _ = try await ReadPlanner.$current.withValue(planner) {
            try await connection.run("cat > /tmp/pbk/g", stdin: big, become: nil)
        }
        #expect(!connection.isCovered("next") && connection.peek(read) == nil)
        // Without a plan, as before: forgets and runs alone.
        _ = try await connection.run("echo again > /tmp/pbk/g")
        #expect(connection.peek(read) == nil)
        // Turned off (--no-batch): never carries.
        let off = PrefetchingConnection(try await LabTargets.connect(host), enabled: false)
        let offBefore = off.counters?.current.commands ?? 0
        _ = try await ReadPlanner.$current.withValue(planner) { try await off.run("echo off > /tmp/pbk/g") }
        #expect(off.peek(read) == nil && (off.counters?.current.commands ?? 0) - offBefore == 1)
    }
}

extension Array {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var results: [T] = []
        for element in self { results.append(try await transform(element)) }
        return results
    }
}
