import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// blockinfile and replace on a real host: converge, converge again unchanged, check mode predicts and
/// touches nothing, diffs show before/after, and the edges (create, absent, validate, backup, errors).
@Suite("blockinfile and replace on a lab host") struct FilesLabTextTests {
    @Test func blockinfileInsertsUpdatesAndRemovesABlock() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/sshd_config"
        try host.sh("printf 'Port 22\\nUseDNS no\\n' > \(path); chmod 600 \(path)")
        let block: OrderedDictionary<String, Value> = ["path": .string(path), "block": "Match Group sftp\n  ForceCommand internal-sftp\n", "insertafter": "^Port"]
        let inserted = try await host.expectConverges(BlockInFileModule.self, block)
        let expected = "Port 22\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch Group sftp\n  ForceCommand internal-sftp\n# END ANSIBLE MANAGED BLOCK\nUseDNS no\n"
        #expect(try host.read(path) == expected)
        #expect(inserted.diffs == [Diff(label: path, before: "Port 22\nUseDNS no\n", after: expected)])
        #expect(inserted.values["msg"] == "Block inserted")
        #expect(try host.sh("stat -c %a \(path)") == "600\n")

        var changed = block
        changed["block"] = "Match Group admins"
        try await host.expectConverges(BlockInFileModule.self, changed)
        #expect(try host.read(path) == "Port 22\n# BEGIN ANSIBLE MANAGED BLOCK\nMatch Group admins\n# END ANSIBLE MANAGED BLOCK\nUseDNS no\n",
                "the block is replaced in place, not inserted again")

        let removed = try await host.expectConverges(BlockInFileModule.self, ["path": .string(path), "state": "absent"])
        #expect(removed.values["msg"] == "Block removed")
        #expect(try host.read(path) == "Port 22\nUseDNS no\n")
    }

    @Test func blockinfileCreatesTheFileAndItsDirectoryWithCustomMarkers() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/new/dir/hosts"
        try await host.expectConverges(BlockInFileModule.self, [
            "path": .string(path), "create": true, "marker": "## {mark} lab hosts", "marker_begin": "start", "marker_end": "stop",
            "block": "198.18.0.2 acme", "mode": "0644",
        ])
        #expect(try host.read(path) == "## start lab hosts\n198.18.0.2 acme\n## stop lab hosts\n")
        #expect(try host.sh("stat -c %a \(path)") == "644\n")
    }

    @Test func blockinfileRefusesAMissingFileWithoutCreateAndIgnoresItForAbsent() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/missing"
        await #expect { try await host.run(BlockInFileModule.self, ["path": .string(path), "block": "x"]) } throws: { error in
            "\(error)".contains("does not exist") && "\(error)".contains("create")
        }
        #expect(try await host.run(BlockInFileModule.self, ["path": .string(path), "state": "absent"]).changed == false)
        #expect(try host.sh("ls -A \(host.root)") == "")
    }

    @Test func blockinfileValidatesAndBacksUp() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/conf"
        try host.sh("echo keep > \(path)")
        await #expect { try await host.run(BlockInFileModule.self, ["path": .string(path), "block": "bad", "validate": "! grep -q bad %s"]) } throws: { error in
            "\(error)".contains("validation failed")
        }
        #expect(try host.read(path) == "keep\n")
        let result = try await host.run(BlockInFileModule.self, ["path": .string(path), "block": "good", "backup": true])
        let backup = try #require(result.values["backup_file"]?.stringValue)
        #expect(try host.read(backup) == "keep\n")
    }

    @Test func replaceSubstitutesEveryMatchWithGroups() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/haproxy.cfg"
        let original = "backend app\n    server a 10.0.0.1:80 check\n    server b 10.0.0.2:80 check\nbackend db\n    server c 10.0.0.3:5432 check\n"
        try host.sh("printf '%s' '\(original)' > \(path)")
        let result = try await host.expectConverges(ReplaceModule.self, [
            "path": .string(path), "after": "backend app", "before": "backend db",
            "regexp": "^(\\s+server \\S+ \\S+) check$", "replace": "\\1 check inter 2s",
        ])
        let expected = "backend app\n    server a 10.0.0.1:80 check inter 2s\n    server b 10.0.0.2:80 check inter 2s\nbackend db\n    server c 10.0.0.3:5432 check\n"
        #expect(try host.read(path) == expected)
        #expect(result.values["msg"] == "2 replacements made")
        #expect(result.diffs == [Diff(label: path, before: original, after: expected)])
    }

    @Test func replaceOnAMissingFileIsAnErrorAndNoMatchChangesNothing() async throws {
        let host = try await LabModuleHost.make()
        await #expect { try await host.run(ReplaceModule.self, ["path": .string(host.root + "/none"), "regexp": "x"]) } throws: { error in
            "\(error)".contains("does not exist")
        }
        let path = host.root + "/file"
        try host.sh("echo abc > \(path)")
        #expect(try await host.run(ReplaceModule.self, ["path": .string(path), "regexp": "^zzz", "replace": "y"]).changed == false)
        #expect(try await host.run(ReplaceModule.self, ["path": .string(path), "regexp": "b", "after": "nothing-like-this"]).changed == false)
        #expect(try host.read(path) == "abc\n")
    }

    @Test func replaceKeepsOwnerAndModeAndFixesAttributesAlone() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/owned"
        try host.sh("echo 'a=1' > \(path); chown nobody:nogroup \(path); chmod 640 \(path)")
        _ = try await host.run(ReplaceModule.self, ["path": .string(path), "regexp": "1", "replace": "2"])
        #expect(try host.sh("stat -c '%a %U %G' \(path)") == "640 nobody nogroup\n")
        #expect(try host.read(path) == "a=2\n")
        try await host.expectConverges(ReplaceModule.self, ["path": .string(path), "regexp": "2", "replace": "2", "mode": "0600"])
        #expect(try host.sh("stat -c %a \(path)") == "600\n")
    }
}
