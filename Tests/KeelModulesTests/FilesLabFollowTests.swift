import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// file's `follow` (default yes, as in Ansible): a symbolic link at path stands for what it points to with
/// state file, directory or touch, so `mode: a-s` on a link clears the bit on the target (what
/// os_hardening does to a list of binaries, some of them links) and reports the target's path; with
/// `follow: no`, state=file refuses the link with Ansible's message. Values checked against ansible-core 2.19.
@Suite("file module follows links on a lab host") struct FilesLabFollowTests {
    @Test func aLinkStandsForItsTarget() async throws {
        let host = try await LabModuleHost.make()
        let r = host.root
        _ = try host.sh("echo x > \(r)/tool && chmod 4755 \(r)/tool && ln -s tool \(r)/tool-link && mkdir -m 700 \(r)/data && ln -s data \(r)/data-link")

        let cleared = try await host.expectConverges(FileModule.self, ["path": .string(r + "/tool-link"), "state": "file", "mode": "a-s"])
        #expect(cleared.values["path"] == .string(r + "/tool"))
        let directory = try await host.expectConverges(FileModule.self, ["path": .string(r + "/data-link"), "state": "directory", "mode": "0755"])
        #expect(directory.values["path"] == .string(r + "/data"))
        #expect(try host.sh("stat -c '%n %a %F' \(r)/tool \(r)/tool-link \(r)/data \(r)/data-link") == """
            \(r)/tool 755 regular file
            \(r)/tool-link 777 symbolic link
            \(r)/data 755 directory
            \(r)/data-link 777 symbolic link

            """)

        await #expect { try await host.run(FileModule.self, ["path": .string(r + "/tool-link"), "state": "file", "follow": false]) } throws: { error in
            "\(error)".contains("is link, cannot continue")
        }
        // A link itself (state=link) is never followed.
        let link = try await host.run(FileModule.self, ["path": .string(r + "/tool-link"), "state": "link", "src": "tool"])
        #expect(!link.changed && link.values["path"] == .string(r + "/tool-link"))
    }
}
