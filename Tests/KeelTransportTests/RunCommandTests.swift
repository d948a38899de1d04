import Foundation
import Testing
import KeelLab

/// `keel run` as a user runs it: the built binary, the lab's inventory, several hosts.
@Suite("keel run") struct RunCommandTests {
    /// The keel binary swift build put next to this test bundle (or KEEL_BINARY).
    static var keel: String { KeelBinary.path }

    func keel(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.keel)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func runsACommandOnEveryMatchingHostAndPrintsEachOnce() async throws {
        let hosts = try await LabTargets.hosts(3, prefix: "cli")
        let result = try keel(["run", "t-cli-*", "-i", LabTargets.lab.inventoryPath, "-a", "uname -s; hostname"])
        #expect(result.status == 0, "\(result.output)")
        for host in hosts {
            #expect(result.output.contains("\(host.name) | CHANGED | rc=0 >>\nLinux\n\(host.name)\n"), "\(result.output)")
        }
    }

    @Test func aFailingCommandExitsWithTwoAndAnUnknownInventoryWithOne() async throws {
        _ = try await LabTargets.hosts(3, prefix: "cli")
        let failed = try keel(["run", "t-cli-1", "-i", LabTargets.lab.inventoryPath, "-a", "exit 5"])
        #expect(failed.status == 2)
        #expect(failed.output.contains("t-cli-1 | FAILED | rc=5 >>"))
        let missing = try keel(["run", "all", "-i", "/nonexistent/inventory", "-a", "true"])
        #expect(missing.status == 1)
        #expect(missing.output.contains("/nonexistent/inventory"))
    }
}
