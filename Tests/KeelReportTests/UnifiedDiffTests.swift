import Foundation
import Testing
@testable import KeelReport

@Suite("Unified diffs") struct UnifiedDiffTests {
    /// The reference is GNU diff itself.
    func gnuDiff(_ a: String, _ b: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-diff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try a.write(to: dir.appendingPathComponent("a"), atomically: true, encoding: .utf8)
        try b.write(to: dir.appendingPathComponent("b"), atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/diff")
        process.arguments = ["-u", "--label", "before", "--label", "after", "a", "b"]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    @Test(arguments: [
        ("a\nb\nc\n", "a\nB\nc\n"),
        ("", "new\n"),
        ("old\n", ""),
        ("1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "1\n2\nthree\n4\n5\n6\n7\n8\n9\n10\neleven\n12\n"),
        ("1\n2\n3\n4\n5\n6\n7\n8\n", "0\n1\n2\n3\n5\n6\n7\n8\n9\n"),
        ("no newline", "no newline\n"),
        ("x\ny\n", "y\nx\n"),
        ("global\n  maxconn 100\ndefaults\n  mode http\n", "global\n  maxconn 200\n  log stdout\ndefaults\n  mode http\n"),
    ])
    func matchesGNUDiff(before: String, after: String) throws {
        #expect(UnifiedDiff.render(before: before, after: after) == (try gnuDiff(before, after)))
    }

    @Test func equalTextsHaveNoDiff() {
        #expect(UnifiedDiff.render(before: "same\n", after: "same\n") == "")
    }
}
