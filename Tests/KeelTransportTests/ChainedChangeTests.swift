import Foundation
import Testing
@testable import KeelTransport

/// A change carrying the next tasks' changes (ChainedChange), run for real by /bin/sh through a local
/// connection: a guarded change runs only while every read answers as rehearsed and every change before it
/// succeeded; reads always come back byte for byte; a change that did not run says so. One test at a
/// time: each looks for chain folders left in the temporary folder, where a running one has its own.
@Suite("Chained changes", .serialized) struct ChainedChangeTests {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("keel-chain-\(UUID().uuidString)").path

    func read(_ script: String) -> ReadRequest { ReadRequest(script: script, become: nil) }
    func change(_ script: String, stdin: Data? = nil) -> ChangeRequest { ChangeRequest(script: script, stdin: stdin, become: nil) }
    func answer(_ stdout: String, status: Int32 = 0, stderr: String = "") -> CommandResult {
        CommandResult(status: status, stdout: Data(stdout.utf8), stderr: Data(stderr.utf8))
    }

    @Test func guardedChangesRunWhileTheirReadsAnswerAsRehearsed() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let f = folder
        let positions = [
            // Rehearsed with "absent": still absent after the first change, so its change runs, fed its input.
            ChainedPosition(key: "a", reads: [read("[ -e \(f)/a ] && cat \(f)/a || echo absent")], expected: [answer("absent\n")],
                            change: change("cat > \(f)/a", stdin: Data("A\u{0}\n".utf8))),
            // Rehearsed with a stderr and a status of 3: answered the same, so it runs too.
            ChainedPosition(key: "b", reads: [read("echo warn >&2; exit 3")], expected: [answer("", status: 3, stderr: "warn\n")],
                            change: change("touch \(f)/b")),
            // Rehearsed before the first change made `first`: no longer the same, so nothing from here on runs.
            ChainedPosition(key: "c", reads: [read("ls \(f)")], expected: [answer("")], change: change("touch \(f)/c")),
            ChainedPosition(key: "d", reads: [read("echo d")], expected: [answer("d\n")], change: change("touch \(f)/d")),
            // Only carried: its read runs and comes back, after everything that ran.
            ChainedPosition(key: "e", reads: [read("ls \(f)")]),
        ]
        let outcome = try await ChainedChange.run("touch \(f)/first", stdin: nil, then: positions, become: nil, on: connection)
        #expect(outcome.change.status == 0)
        #expect(outcome.positions.count == 5)
        #expect(outcome.positions[0].change?.status == 0)
        #expect(outcome.positions[1].reads == [answer("", status: 3, stderr: "warn\n")])
        #expect(outcome.positions[1].change?.status == 0)
        #expect(outcome.positions[2].reads == [answer("a\nb\nfirst\n")])
        #expect(outcome.positions[2].change == nil, "the guard no longer held")
        #expect(outcome.positions[3].reads == [answer("d\n")])
        #expect(outcome.positions[3].change == nil, "nothing runs after a guard that did not hold")
        #expect(outcome.positions[4].reads == [answer("a\nb\nfirst\n")])
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(f)/a")) == Data("A\u{0}\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: "\(f)/c") && !FileManager.default.fileExists(atPath: "\(f)/d"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: NSTemporaryDirectory()).filter { $0.hasPrefix(".keel-chain.") }
        #expect(leftovers.isEmpty, "the batch's private folder is removed: \(leftovers)")
    }

    @Test func aChangeThatFailsStopsEverythingAfterIt() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let f = folder
        let positions = [
            ChainedPosition(key: "a", reads: [read("echo same")], expected: [answer("same\n")], change: change("echo no >&2; exit 4")),
            ChainedPosition(key: "b", reads: [read("echo same")], expected: [answer("same\n")], change: change("touch \(f)/b")),
        ]
        let outcome = try await ChainedChange.run("true", stdin: nil, then: positions, become: nil, on: connection)
        #expect(outcome.positions[0].change == answer("", status: 4, stderr: "no\n"))
        #expect(outcome.positions[1].reads == [answer("same\n")])
        #expect(outcome.positions[1].change == nil)
        #expect(!FileManager.default.fileExists(atPath: "\(f)/b"))
        // A first change that fails: nothing runs ahead either.
        let failedFirst = try await ChainedChange.run("exit 1", stdin: nil, then: [positions[1]], become: nil, on: connection)
        #expect(failedFirst.change.status == 1)
        #expect(failedFirst.positions[0].change == nil)
        #expect(!FileManager.default.fileExists(atPath: "\(f)/b"))
    }

    /// Path observations are compared in the shell (no sha256sum): one that answers as rehearsed lets its
    /// change run; one whose file differs only by a NUL byte (which command substitution drops) stops the
    /// chain, and its read comes back byte for byte. A change's input travels as a printf format: every byte.
    @Test func pathObservationsAreComparedInTheShellExactly() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let f = folder
        try Data("ab".utf8).write(to: URL(fileURLWithPath: "\(f)/x"))
        let same = PathObservation(.path("\(f)/same"), checksum: true, contentLimit: 4096)
        let x = PathObservation(.path("\(f)/x"), checksum: true, contentLimit: 4096)
        let sameBefore = try await connection.run(same.script), xBefore = try await connection.run(x.script)
        #expect(ChainedChange.inlineExpectation(of: read(same.script), sameBefore) != nil)
        #expect(ChainedChange.inlineExpectation(of: read("echo absent"), answer("absent\n")) == nil, "not a path observation")
        let every = Data((0...255).map { UInt8($0) } + Array("100% \\n 'q' %s\n\n".utf8))
        // A YAML list starts with `-`, which printf would take for an option.
        let listing = Data("- hosts: all\n  tasks: []\n".utf8)
        let positions = [
            ChainedPosition(key: "s", reads: [read(same.script)], expected: [sameBefore],
                            change: change("cat > \(f)/same.in", stdin: every)),
            // A file write takes the same bytes from the script itself (no cat, no pipe), verified as ever.
            ChainedPosition(key: "w", reads: [read(same.script)], expected: [sameBefore],
                            change: change((AtomicReplacement(destination: "\(f)/w", content: every).receive() + AtomicReplacement.commit)
                                .joined(separator: "\n"), stdin: every)),
            ChainedPosition(key: "l", reads: [read(same.script)], expected: [sameBefore],
                            change: change((AtomicReplacement(destination: "\(f)/l", content: listing).receive() + AtomicReplacement.commit)
                                .joined(separator: "\n"), stdin: listing)),
            ChainedPosition(key: "p", reads: [read(same.script)], expected: [sameBefore], change: change("cat > \(f)/p", stdin: listing)),
            ChainedPosition(key: "x", reads: [read(x.script)], expected: [xBefore], change: change("touch \(f)/ran")),
        ]
        // The first change puts a NUL byte into x: same text once the NUL is dropped, one byte longer.
        let outcome = try await ChainedChange.run("printf 'a\\000b' > \(f)/x", stdin: nil, then: positions, become: nil, on: connection)
        #expect(outcome.positions[0].reads == [sameBefore])
        #expect(outcome.positions[0].change?.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(f)/same.in")) == every, "the input arrives byte for byte")
        #expect(outcome.positions[1].change?.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(f)/w")) == every, "the write's content comes from its printf format")
        #expect(ChainedChange.script("true", firstReadsInput: false, then: [positions[1]], marker: "M").contains("keel_inline_input="))
        #expect(!ChainedChange.script("true", firstReadsInput: false, then: [positions[0]], marker: "M").contains("keel_inline_input="))
        let expectedText = String(decoding: xBefore.stdout, as: UTF8.self)
        #expect(ChainedChange.script("true", firstReadsInput: false, then: [positions[4]], marker: "M").contains(expectedText))
        #expect(!ChainedChange.script("true", firstReadsInput: false, then: [positions[4]], marker: "M", inline: false).contains(expectedText),
                "under become no answer is written in the script (it reaches an argv)")
        #expect(outcome.positions[2].change?.status == 0 && outcome.positions[3].change?.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(f)/l")) == listing, "content starting with - (inline)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: "\(f)/p")) == listing, "content starting with - (piped)")
        #expect(outcome.positions[4].reads == [try await connection.run(x.script)], "read back exactly, NUL included")
        #expect(outcome.positions[4].reads != [xBefore])
        #expect(outcome.positions[4].change == nil, "the guard did not hold")
        #expect(!FileManager.default.fileExists(atPath: "\(f)/ran"))
    }

    /// A builtin text read (a creates guard) is compared in the shell too, also when it ends with `exit`;
    /// a stderr the rehearsal did not see makes it differ. With every guarded read compared so, the batch
    /// makes no folder and starts no sha256sum.
    @Test func builtinTextReadsAreComparedInTheShell() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let f = folder
        func creates(_ path: String) -> ReadRequest {
            read(BuiltinTextRead.script("for f in \(path); do [ -e \"$f\" ] && { echo creates; exit 0; }; done; echo run"))
        }
        #expect(BuiltinTextRead.recognise(creates("\(f)/x").script))
        #expect(!BuiltinTextRead.recognise("for f in \(f)/y; do [ -e \"$f\" ] && { echo creates; exit 0; }; done; echo run"),
                "only a script made through BuiltinTextRead")
        let noisy = read(BuiltinTextRead.script("echo run; echo oops >&2"))
        let positions = [
            // Rehearsed as "run" and still so: its change runs.
            ChainedPosition(key: "a", reads: [creates("\(f)/done-a")], expected: [answer("run\n")], change: change("touch \(f)/done-a")),
            // Rehearsed as "creates" (it exits early) and still so: its change runs.
            ChainedPosition(key: "b", reads: [creates("\(f)/first")], expected: [answer("creates\n")], change: change("touch \(f)/b")),
            // Rehearsed before the first change made `first`: now "creates", so nothing from here on runs.
            ChainedPosition(key: "c", reads: [creates("\(f)/first")], expected: [answer("run\n")], change: change("touch \(f)/c")),
        ]
        let script = ChainedChange.script("true", firstReadsInput: false, then: positions, marker: "M")
        #expect(!script.contains(".keel-chain.") && !script.contains("sha256sum"), "no folder, no digest")
        #expect(ChainedChange.script("true", firstReadsInput: false, then: [ChainedPosition(key: "d", reads: [read("echo run")],
                                     expected: [answer("run\n")], change: change("true"))], marker: "M").contains(".keel-chain."),
                "a read that is neither is compared by digest, in the folder")
        let outcome = try await ChainedChange.run("touch \(f)/first", stdin: nil, then: positions, become: nil, on: connection)
        #expect(outcome.positions[0].change?.status == 0)
        #expect(outcome.positions[1].reads == [answer("creates\n")])
        #expect(outcome.positions[1].change?.status == 0, "an early exit answers as rehearsed")
        #expect(outcome.positions[2].reads == [answer("creates\n")])
        #expect(outcome.positions[2].change == nil, "the guard no longer held")
        #expect(FileManager.default.fileExists(atPath: "\(f)/b") && !FileManager.default.fileExists(atPath: "\(f)/c"))
        let stderrOutcome = try await ChainedChange.run("true", stdin: nil, then: [
            ChainedPosition(key: "n", reads: [noisy], expected: [answer("run\n")], change: change("touch \(f)/n")),
        ], become: nil, on: connection)
        #expect(stderrOutcome.positions[0].reads == [answer("run\n", stderr: "oops\n")], "read back with both streams apart")
        #expect(stderrOutcome.positions[0].change == nil, "a stderr the rehearsal did not see")
        #expect(!FileManager.default.fileExists(atPath: "\(f)/n"))
    }

    /// Reads carried after a chain's changes that repeat one another (ten lineinfile tasks on one file)
    /// run once and each position gets the answer; a read after a change runs again; requests are the
    /// same only byte for byte (a path in NFC and in NFD names two files).
    @Test func repeatedCarriedReadsRunOnceBetweenChanges() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let f = folder
        let counted = read("echo ran >> \(f)/count; echo same")
        let nfc = read("echo nfc >> \(f)/count; echo caf\u{e9}"), nfd = read("echo nfd >> \(f)/count; echo cafe\u{301}")
        #expect(nfc != nfd && ReadRequest(script: "x\u{e9}", become: nil) != ReadRequest(script: "xe\u{301}", become: nil))
        #expect(ChangeRequest(script: "touch caf\u{e9}", stdin: nil, become: nil) != ChangeRequest(script: "touch cafe\u{301}", stdin: nil, become: nil))
        let positions = [
            ChainedPosition(key: "a", reads: [read("echo a")], expected: [answer("a\n")], change: change("touch \(f)/a")),
            ChainedPosition(key: "b", reads: [counted]),
            ChainedPosition(key: "c", reads: [counted, nfc, counted]),
            ChainedPosition(key: "d", reads: [nfd, counted]),
            ChainedPosition(key: "e", reads: [read("echo e")], expected: [answer("e\n")], change: change("touch \(f)/e")),
            ChainedPosition(key: "f", reads: [counted]),
        ]
        #expect(ChainedChange.sharedReads(positions).map { $0.map { $0.map { [$0.position, $0.read] } } }
                == [[nil], [nil], [[1, 0], nil, [1, 0]], [nil, [1, 0]], [nil], [nil]])
        let outcome = try await ChainedChange.run("true", stdin: nil, then: positions, become: nil, on: connection)
        #expect(outcome.positions.map(\.reads) == [[answer("a\n")], [answer("same\n")], [answer("same\n"), answer("caf\u{e9}\n"), answer("same\n")],
                                                   [answer("cafe\u{301}\n"), answer("same\n")], [answer("e\n")], [answer("same\n")]])
        #expect(outcome.positions[4].change?.status == 0)
        #expect(try String(contentsOfFile: "\(f)/count", encoding: .utf8) == "ran\nnfc\nnfd\nran\n",
                "once before the change, each spelling once, once after it")
    }

    /// A script is recognised as a path observation or a builtin text read only byte for byte: the same
    /// path in NFD is another file, and must not be answered (in bulk) or compared as the NFC one's.
    @Test func scriptsAreRecognisedByteForByte() {
        let nfc = PathObservation(.path("/srv/caf\u{e9}"), checksum: true, contentLimit: 100)
        let nfcScript = nfc.script
        #expect(PathObservation.recognise(nfcScript) == nfc)
        // The same observation of the NFD path, written out (never made here): equal as a Swift String.
        let nfdScript = "p=" + ShellQuote.quote("/srv/cafe\u{301}") + String(nfcScript.drop { $0 != "\n" })
        #expect(nfdScript == nfcScript && !nfdScript.utf8.elementsEqual(nfcScript.utf8))
        #expect(PathObservation.recognise(nfdScript) == nil, "never made: not the NFC one's")
        let text = BuiltinTextRead.script("echo caf\u{e9}")
        #expect(BuiltinTextRead.recognise(text) && !BuiltinTextRead.recognise("echo cafe\u{301}"))
    }

    /// With become the batch's script reaches an argv (sudo's `/bin/sh -c`), readable in the host's process
    /// list: a change carrying input (a file's content) ends the chain there; without become it goes on.
    @Test func underBecomeNoChangeCarriesItsInputInTheScript() {
        let root = Become(user: "root")
        func position(_ name: String, stdin: Data?, become: Become?) -> ChainedPosition {
            ChainedPosition(key: name, reads: [ReadRequest(script: "echo \(name)", become: become)], expected: [answer("\(name)\n")],
                            change: ChangeRequest(script: "cat > /srv/\(name)", stdin: stdin, become: become))
        }
        let plain = [position("a", stdin: nil, become: nil), position("b", stdin: Data("secret".utf8), become: nil),
                     position("c", stdin: nil, become: nil)]
        #expect(PrefetchingConnection.sendable(plain, become: nil).map(\.key) == ["a", "b", "c"])
        let become = [position("a", stdin: nil, become: root), position("b", stdin: Data("secret".utf8), become: root),
                      position("c", stdin: nil, become: root)]
        #expect(PrefetchingConnection.sendable(become, become: root).map(\.key) == ["a"])
        #expect(PrefetchingConnection.sendable(become, become: nil).isEmpty, "another user's reads: not in this batch")
    }

    /// A prediction of what a path's observation answers after a write is checked against the observation
    /// itself, run by /bin/sh before and after the same write: small content, content over the limit (its
    /// SHA-256), a new mode, the path found by copy's destination rule; and none where it cannot be told.
    @Test func aPredictedObservationIsWhatTheObservationAnswersAfterTheWrite() async throws {
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let connection = LocalConnection()
        let path = "\(folder)/app.conf"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: path))
        _ = try await connection.run("chmod 640 \(path)")
        let observations = [
            PathObservation(.path(path), checksum: false, contentLimit: 65536),
            PathObservation(.path(path), checksum: true, contentLimit: 4),
            PathObservation(.destination(dest: folder, name: "app.conf"), checksum: true, contentLimit: 65536),
        ]
        for (content, mode) in [(Data("new content\n".utf8), nil as Int?), (Data([0, 1, 2, 0xFF]), 0o600)] {
            let before = try await observations.asyncMap { try await connection.run($0.script) }
            let write = WriteLog.Write(path: path, content: content, mode: mode, owner: nil, group: nil)
            try content.write(to: URL(fileURLWithPath: path))
            if let mode { _ = try await connection.run("chmod \(String(mode, radix: 8)) \(path)") }
            for (observation, answer) in zip(observations, before) {
                let actual = try await connection.run(observation.script)
                #expect(observation.answer(after: write, before: answer) == actual, "\(observation.locate)")
            }
        }
        let current = try await connection.run(observations[0].script)
        let owner = String(decoding: current.stdout, as: UTF8.self).split(separator: "|")[2]
        #expect(observations[0].answer(after: WriteLog.Write(path: path, content: Data(), mode: nil, owner: "not-\(owner)", group: nil),
                                       before: current) == nil, "an owner set by name: its id is unknown")
        #expect(observations[0].answer(after: WriteLog.Write(path: path + ".other", content: Data(), mode: nil, owner: nil, group: nil),
                                       before: current) == nil)
        let absent = PathObservation(.path(path + ".new"), checksum: false, contentLimit: 100)
        #expect(absent.answer(after: WriteLog.Write(path: path + ".new", content: Data(), mode: nil, owner: nil, group: nil),
                              before: try await connection.run(absent.script)) == nil, "a new file: its owner is whoever writes it")
    }

    @Test func aTasksNamesComeFromItsNonceSoARehearsalSendsTheSameScript() {
        let nonce = ScriptNonce(seed: "run|host|task|0")
        let first = ScriptNonce.$current.withValue(nonce) { [AtomicReplacement.randomSuffix(), AtomicReplacement.randomSuffix()] }
        let again = ScriptNonce.$current.withValue(nonce.restarted()) { [AtomicReplacement.randomSuffix(), AtomicReplacement.randomSuffix()] }
        let other = ScriptNonce.$current.withValue(ScriptNonce(seed: "run|host|task|1")) { AtomicReplacement.randomSuffix() }
        #expect(first == again)
        #expect(first[0] != first[1] && first[0] != other)
        #expect(first.allSatisfy { $0.count == 16 && $0.allSatisfy(\.isHexDigit) })
        #expect(AtomicReplacement.randomSuffix() != AtomicReplacement.randomSuffix(), "random without a nonce")
    }
}

