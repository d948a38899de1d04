import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// Ctrl-C during `keel play` (issue 14, defect 3), with the real binary and a lab host: the first SIGINT
/// stops the remote command, starts no further task, prints the recap and exits 130.
@Suite("Interrupting keel play") struct LabInterruptTests {
    let lab = Lab()

    /// The keel binary this package built (KEEL_BINARY overrides, to try another build).
    static var keelBinary: String {
        if let path = ProcessInfo.processInfo.environment["KEEL_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/keel").path
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test(arguments: [SIGINT, SIGTERM])
    func theFirstSignalStopsTheRemoteCommandPrintsTheRecapAndExits130(signal: Int32) async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-signal\(signal)")[0]   // one host per case: they run in parallel
        _ = try inspect(host, "pkill -x sleep; rm -f /tmp/keel-after")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-sigint-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try LabInventory.ini([host]).write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        try """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: before
                  command: "true"
                - name: long
                  shell: "sleep 300; echo done"
                - name: after
                  command: touch /tmp/keel-after
            """.write(toFile: directory + "/site.yml", atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.keelBinary)
        process.arguments = ["play", "-i", directory + "/inventory.ini", directory + "/site.yml"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        // Wait until the long command runs on the host.
        var running = false
        for _ in 0..<100 where !running {
            try await Task.sleep(for: .milliseconds(200))
            running = try inspect(host, "pgrep -x sleep || true") != ""
        }
        #expect(running, "the long command never started on the host")
        kill(process.processIdentifier, signal)
        let stopped = Date()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(Date().timeIntervalSince(stopped) < 60, "keel stopped long before the remote sleep (300 s) would end")
        #expect(process.terminationReason == .exit && process.terminationStatus == 130, "status \(process.terminationStatus): \(text)")
        #expect(text.contains("PLAY RECAP"), "the recap is printed: \(text)")
        #expect(text.contains("interrupted"), "\(text)")
        #expect(try inspect(host, "pgrep -x sleep || echo none") == "none", "the remote command must be gone")
        #expect(try inspect(host, "test -e /tmp/keel-after && echo ran || echo not") == "not", "no task starts after the signal")
    }
}
