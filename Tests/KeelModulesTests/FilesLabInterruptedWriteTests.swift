import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// A write cut short never costs the old file: whenever the controller dies or the connection is lost
/// while `copy` or `template` sends a file, the destination is afterwards exactly the complete old file
/// or the complete new one, and no temporary file is left next to it. Each test cuts `keel play` at
/// several points of the transfer (issue 14, defect 1: a truncated file used to replace the old one).
/// Serialized: killing a host's sshd sessions would cut any other test's run on the same host too.
@Suite("Interrupted writes on a lab host", .serialized) struct FilesLabInterruptedWriteTests {
    static let points = [0.0, 0.3, 0.6, 0.95]
    static let old = Data("the old content, which must survive\n".utf8)

    /// 24 MB that differ from run to run, as a release tarball would.
    static func largeFile() -> Data {
        var generator = SystemRandomNumberGenerator()
        var data = Data(count: 24 * 1024 * 1024)
        data.withUnsafeMutableBytes { raw in
            let words = raw.bindMemory(to: UInt64.self)
            for index in words.indices { words[index] = generator.next() }
        }
        return data
    }

    /// A template of about 1 MB of text (an access list, a zone file) with a variable at its top: past the
    /// size that travels inside the shell request, and as big as the template engine renders in seconds.
    static func largeTemplate() -> (source: Data, rendered: Data) {
        let body = (0..<33_000).map { "allow 10.\($0 / 65536).\($0 / 256 % 256).\($0 % 256) # rule \($0)\n" }.joined()
        return (Data(("# for {{ inventory_hostname }}\n" + body).utf8), Data(body.utf8))
    }

    /// `midway`: how many runs at least must have been cut while the file was on its way (a 1 MB template
    /// arrives in a few milliseconds, so only the early points are sure to land inside its transfer).
    func check(_ outcomes: [InterruptedWriteHarness.Outcome], _ what: String, midway required: Int) {
        for outcome in outcomes {
            let at = outcome.cutAt.map { "at \(Int($0 * 100))%" } ?? "after the run ended"
            print("\(what), \(outcome.cut) \(at): \(outcome.destination), \(outcome.leftovers.count) temporary files left")
            #expect(outcome.destination == "old" || outcome.destination == "new",
                    "\(what), \(outcome.cut) \(at): the destination is \(outcome.destination)\n\(outcome.keelOutput)")
            #expect(outcome.leftovers.isEmpty, "\(what), \(outcome.cut) \(at): temporary files left: \(outcome.leftovers)")
        }
        let midway = outcomes.filter { ($0.cutAt ?? 1) < 1 }.count
        #expect(midway >= required, "\(what): only \(midway) of \(outcomes.count) runs were cut while the file was on its way")
    }

    func copyRuns(_ cut: InterruptedWriteHarness.Cut, host: LabHost, name: String) async throws {
        let new = Self.largeFile()
        let harness = try InterruptedWriteHarness(host: host, name: name, playbook: """
            - hosts: all
              gather_facts: false
              tasks:
                - copy: {src: big.bin, dest: DEST}
            """, files: ["files/big.bin": new])
        defer { harness.removeController() }
        var outcomes: [InterruptedWriteHarness.Outcome] = []
        for point in Self.points { outcomes.append(try await harness.run(cut: cut, at: point, old: Self.old, new: new)) }
        check(outcomes, "copy of 24 MB", midway: 3)
    }

    func templateRuns(_ cut: InterruptedWriteHarness.Cut, host: LabHost, name: String) async throws {
        let (source, rendered) = Self.largeTemplate()
        let harness = try InterruptedWriteHarness(host: host, name: name, playbook: """
            - hosts: all
              gather_facts: false
              tasks:
                - template: {src: acl.j2, dest: DEST}
            """, files: ["templates/acl.j2": source])
        defer { harness.removeController() }
        let new = Data("# for \(host.name)\n".utf8) + rendered
        var outcomes: [InterruptedWriteHarness.Outcome] = []
        for point in Self.points { outcomes.append(try await harness.run(cut: cut, at: point, old: Self.old, new: new)) }
        check(outcomes, "template of \(new.count / 1000) kB", midway: 1)
    }

    func host() async throws -> LabHost { try await LabFixture.shared.hosts(1, prefix: "wr")[0] }

    @Test func aCopyCutByKillingTheControllerLeavesTheOldOrTheNewFile() async throws {
        try await copyRuns(.controller, host: try await host(), name: "copy-controller")
    }

    @Test func aCopyCutByKillingTheHostsSSHDLeavesTheOldOrTheNewFile() async throws {
        try await copyRuns(.sshd, host: try await host(), name: "copy-sshd")
    }

    @Test func aTemplateCutByKillingTheControllerLeavesTheOldOrTheNewFile() async throws {
        try await templateRuns(.controller, host: try await host(), name: "template-controller")
    }

    @Test func aTemplateCutByKillingTheHostsSSHDLeavesTheOldOrTheNewFile() async throws {
        try await templateRuns(.sshd, host: try await host(), name: "template-sshd")
    }
}
