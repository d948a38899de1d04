import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// A validate command that a folded, templated YAML value leaves on several lines (willshersystems.sshd's
/// `validate: >-` over an `{% if %}`) runs as one command, as Ansible splits it into words.
@Suite("validate over several lines on a lab host") struct FilesLabValidateTests {
    @Test func lineBreaksInValidateAreSpaces() async throws {
        let host = try await LabModuleHost.make()
        let dest = host.root + "/checked.conf"
        try await host.expectConverges(CopyModule.self, ["content": "good\n", "dest": .string(dest), "validate": "\n    grep -q\n  good %s\n"])
        #expect(try host.read(dest) == "good\n")
        await #expect { try await host.run(CopyModule.self, ["content": "bad\n", "dest": .string(dest), "validate": "\n  grep -q good\n  %s\n"]) } throws: { error in
            "\(error)".contains("validation failed")
        }
        #expect(try host.read(dest) == "good\n")
    }
}
