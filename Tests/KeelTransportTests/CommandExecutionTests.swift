import Foundation
import Testing
import KeelTransport

@Suite("Running commands over SSH") struct CommandExecutionTests {
    @Test func statusStdoutAndStderrAreKeptApartAndBinarySafe() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        let result = try await connection.run(#"printf 'a\000b\377\n'; printf 'to-stderr' >&2; exit 7"#)
        #expect(result.status == 7)
        #expect(result.stdout == Data([0x61, 0x00, 0x62, 0xFF, 0x0A]))
        #expect(result.stderr == Data("to-stderr".utf8))
    }

    @Test func outputWithoutTrailingNewlineAndEmptyOutputAreExact() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        #expect(try await connection.run("printf no-newline").stdout == Data("no-newline".utf8))
        let silent = try await connection.run("true")
        #expect(silent.stdout.isEmpty && silent.stderr.isEmpty && silent.status == 0)
    }

    @Test func stateDoesNotLeakBetweenCommands() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        _ = try await connection.run("cd /etc; export KEEL_LEAK=1; exit 3")
        let after = try await connection.run(#"pwd; echo "leak=${KEEL_LEAK:-none}""#)
        #expect(after.stdoutText == "/root\nleak=none\n")
    }

    @Test func stdinReachesTheCommandUnchanged() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        let small = LabTargets.randomData(100_000)          // inline in the persistent shell
        let large = LabTargets.randomData(1_500_000)        // its own exec channel
        #expect(try await connection.run("cat", stdin: small, become: nil).stdout == small)
        #expect(try await connection.run("cat", stdin: large, become: nil).stdout == large)
    }

    /// Text ending in a newline travels as a here-document, anything else base64-encoded: both must arrive
    /// byte for byte, including text that looks like shell, like the delimiter, or has no final newline.
    @Test func stdinTextAndBinaryArriveExactlyByEitherPath() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        let inputs: [Data] = [
            Data("plain line\n".utf8),
            Data("$(touch /root/keel-injected) `id` ${HOME} 'q' \"d\" \\ \\n\n\n".utf8),
            Data("KEEL_EOF_\nKEEL_EOF___KEEL_00_1\nEOF\n".utf8),
            Data("no final newline".utf8),
            Data("crlf\r\nline\r\n".utf8),
            Data([0x61, 0x00, 0x62, 0x0A]),
            Data("ünïcødé ✓\n".utf8) + Data([0xFF, 0xFE, 0x0A]),
            Data(String(repeating: "a long line of text ", count: 5000).utf8) + Data("\n".utf8),
        ]
        for input in inputs {
            let result = try await connection.run("cat; printf '%s' \"$?\" >&2", stdin: input, become: nil)
            #expect(result.stdout == input, "\(input.prefix(60).map { String($0) })")
            #expect(result.stderrText == "0")
        }
        let injected = try await connection.run("[ -e /root/keel-injected ] && echo yes || echo no")
        #expect(injected.stdoutText == "no\n")
        // The shell is still in step after all of them.
        #expect(try await connection.run("echo still-here").stdoutText == "still-here\n")
    }

    @Test func fiveMegabytesUploadAndDownloadIntact() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        let data = LabTargets.randomData(5 * 1024 * 1024)
        try await connection.upload(data, to: "/root/keel-upload.bin", mode: 0o640)
        // Checked inside the host, not through Keel.
        let seen = try LabTargets.inspect(host, "sha256sum /root/keel-upload.bin | cut -d' ' -f1; stat -c %a /root/keel-upload.bin")
        #expect(seen == "\(LabTargets.sha256(data))\n640\n")
        let back = try await connection.download("/root/keel-upload.bin")
        #expect(LabTargets.sha256(back) == LabTargets.sha256(data))
    }

    @Test func aFailedUploadLeavesNoTemporaryFileBehind() async throws {
        let host = try await LabTargets.hosts(1, prefix: "cmd")[0]
        let connection = try await LabTargets.connect(host)
        // The destination is a directory: the temporary file is written, then the replace is refused.
        // A folder of its own: the suite's other uploads into /root run at the same time and have
        // temporary files of their own there while they are under way.
        try LabTargets.inspect(host, "mkdir -p /root/failed-upload/a-directory")
        await #expect(throws: TransportError.self) {
            try await connection.upload(Data("x".utf8), to: "/root/failed-upload/a-directory", mode: 0o644)
        }
        #expect(try LabTargets.inspect(host, "ls -A /root/failed-upload") == "a-directory\n")
    }
}
