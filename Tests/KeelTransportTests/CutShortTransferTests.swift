import Foundation
import Testing
@testable import KeelTransport

/// What a host's shell does with a transfer that stops part-way (the controller killed, the connection
/// lost): it sees end of input. Played here with the real /bin/sh on this machine, cutting the bytes Keel
/// sends at every point: a command must either not run at all or run with its whole input, and a file
/// write must leave the old file and no temporary file behind.
@Suite("Transfers cut short") struct CutShortTransferTests {
    func scratch() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-cut-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Feeds `input` to /bin/sh as the persistent shell's stdin (from a file: the shell may stop reading early).
    /// Spawned the way Keel spawns (ChildProcess: no blocked signals): a shell started by Foundation's Process
    /// from a test thread inherits blocked SIGCHLD, and its `wait` never returns.
    func shell(_ input: Data, in dir: String) throws {
        let requestFile = dir + "/request"
        try input.write(to: URL(fileURLWithPath: requestFile))
        _ = try ChildProcess.run("/bin/sh", ["-c", "exec /bin/sh < \(ShellQuote.quote(requestFile)) >/dev/null 2>&1"], stdin: nil)
    }

    @Test(arguments: [Data("line one\nline two\nthe last line\n".utf8), Data([0, 1, 2, 0xFF, 10, 0, 65])])
    func aPersistentShellRequestCutAnywhereRunsWholeOrNotAtAll(input: Data) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let out = dir + "/out"
        let request = SSHShellRunner.request("cat > \(ShellQuote.quote(out))", stdin: input, marker: "__KEEL_TEST_1", pidTag: "__KEEL_TESTPID_1")
        for cut in 0...request.count {
            try? FileManager.default.removeItem(atPath: out)
            try shell(request.prefix(cut), in: dir)
            if let written = FileManager.default.contents(atPath: out) {
                #expect(written == input, "cut after \(cut) of \(request.count) bytes: the command ran on \(written.count) of \(input.count) bytes")
            }
        }
        try shell(request, in: dir)
        #expect(FileManager.default.contents(atPath: out) == input, "the whole request runs the command")
    }

    @Test func aWriteWhoseInputStopsShortKeepsTheOldFileAndNoTemporaryFile() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dest = dir + "/app.conf"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: dest))
        let new = Data((0..<5000).map { "setting \($0) = on\n" }.joined().utf8)
        let script = (AtomicReplacement(destination: dest, content: new).receive() + AtomicReplacement.commit).joined(separator: "\n")
        let connection = LocalConnection()
        for cut in [0, 1, new.count / 2, new.count - 1] {
            let result = try await connection.run(script, stdin: new.prefix(cut), become: nil)
            #expect(result.status == AtomicReplacement.mismatchStatus, "cut at \(cut): \(result.stderrText)")
            #expect(result.stderrText.contains("\(cut) of \(new.count) bytes"), "\(result.stderrText)")
            #expect(FileManager.default.contents(atPath: dest) == Data("old\n".utf8), "cut at \(cut) replaced the file")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["app.conf"], "cut at \(cut) left a temporary file")
        }
        // The same bytes, changed but as long (what a digest catches and a byte count cannot).
        var changed = new
        changed[10] = UInt8(ascii: "X")
        #expect(try await connection.run(script, stdin: changed, become: nil).status == AtomicReplacement.mismatchStatus)
        #expect(FileManager.default.contents(atPath: dest) == Data("old\n".utf8))
        let whole = try await connection.run(script, stdin: new, become: nil)
        #expect(whole.status == 0, "\(whole.stderrText)")
        #expect(FileManager.default.contents(atPath: dest) == new)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["app.conf"])
    }

    @Test func aHostWithoutAnySHA256ToolStillRefusesAShortFile() async throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dest = dir + "/f"
        try Data("old\n".utf8).write(to: URL(fileURLWithPath: dest))
        let new = Data("brand new content\n".utf8)
        // command -v finds neither sha256sum nor openssl: only the byte count is left to check.
        let script = "command() { return 1; }\n"
            + (AtomicReplacement(destination: dest, content: new).receive() + AtomicReplacement.commit).joined(separator: "\n")
        let connection = LocalConnection()
        let short = try await connection.run(script, stdin: new.prefix(5), become: nil)
        #expect(short.status == AtomicReplacement.mismatchStatus)
        #expect(short.stderrText.contains("SHA-256 unknown"), "\(short.stderrText)")
        #expect(FileManager.default.contents(atPath: dest) == Data("old\n".utf8))
        #expect(try await connection.run(script, stdin: new, become: nil).status == 0)
        #expect(FileManager.default.contents(atPath: dest) == new)
    }
}
