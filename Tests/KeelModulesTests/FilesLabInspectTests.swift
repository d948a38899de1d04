import Crypto
import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// stat, slurp, fetch and tempfile on a real host: what they report is checked against the host itself.
@Suite("stat, slurp, fetch and tempfile on a lab host") struct FilesLabInspectTests {
    @Test func statDescribesAFileWithItsChecksum() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/f"
        try host.sh("printf 'hello\\n' > \(path); chown nobody:nogroup \(path); chmod 4750 \(path)")
        let result = try await host.run(StatModule.self, ["path": .string(path)])
        #expect(!result.changed)
        let stat = try #require(result.values["stat"])
        #expect(stat["exists"] == true)
        #expect(stat["path"] == .string(path))
        #expect(stat["mode"] == "4750")
        #expect(stat["isreg"] == true && stat["isdir"] == false && stat["islnk"] == false)
        #expect(stat["pw_name"] == "nobody" && stat["gr_name"] == "nogroup")
        #expect(stat["uid"] == .int(Int(try host.sh("id -u nobody").trimmingCharacters(in: .newlines))!))
        #expect(stat["size"] == 6)
        #expect(stat["isuid"] == true && stat["xoth"] == false && stat["rgrp"] == true)
        #expect(stat["checksum"] == .string(try host.sh("sha1sum < \(path) | cut -d' ' -f1").trimmingCharacters(in: .newlines)))
        let mtime = try #require(stat["mtime"].flatMap { if case .double(let d) = $0 { return d }; return nil })
        #expect(Int(mtime) == Int(try host.sh("stat -c %Y \(path)").trimmingCharacters(in: .newlines))!)
        let sha256 = try await host.run(StatModule.self, ["path": .string(path), "checksum_algorithm": "sha256", "get_mime": false])
        #expect(sha256.values["stat"]?["checksum"] == .string(try host.sh("sha256sum < \(path) | cut -d' ' -f1").trimmingCharacters(in: .newlines)))
        let none = try await host.run(StatModule.self, ["path": .string(path), "get_checksum": false])
        #expect(none.values["stat"]?["checksum"] == nil)
    }

    @Test func statOfLinksDirectoriesAndMissingPaths() async throws {
        let host = try await LabModuleHost.make()
        try host.sh("mkdir \(host.root)/d && echo x > \(host.root)/d/t && ln -s d/t \(host.root)/l")
        let link = try await host.run(StatModule.self, ["path": .string(host.root + "/l")])
        #expect(link.values["stat"]?["islnk"] == true)
        #expect(link.values["stat"]?["lnk_target"] == "d/t")
        #expect(link.values["stat"]?["lnk_source"] == .string(host.root + "/d/t"))
        #expect(link.values["stat"]?["checksum"] == nil, "a link is not followed unless asked")
        let followed = try await host.run(StatModule.self, ["path": .string(host.root + "/l"), "follow": true])
        #expect(followed.values["stat"]?["isreg"] == true)
        #expect(followed.values["stat"]?["checksum"] != nil)
        let directory = try await host.run(StatModule.self, ["path": .string(host.root + "/d")])
        #expect(directory.values["stat"]?["isdir"] == true)
        let missing = try await host.run(StatModule.self, ["path": .string(host.root + "/nothing")])
        #expect(missing.values["stat"] == ["exists": false])
        #expect(try await host.run(StatModule.self, ["path": .string(host.root + "/d")], .check).changed == false)
    }

    @Test func slurpReturnsBase64OfTheBytes() async throws {
        let host = try await LabModuleHost.make()
        let path = host.root + "/bin"
        try host.sh("printf 'a\\000b\\377\\n' > \(path)")
        let result = try await host.run(SlurpModule.self, ["src": .string(path)])
        #expect(!result.changed)
        #expect(result.values["content"] == .string(Data([0x61, 0, 0x62, 0xff, 0x0a]).base64EncodedString()))
        #expect(result.values["encoding"] == "base64")
        await #expect { try await host.run(SlurpModule.self, ["src": .string(host.root + "/none")]) } throws: { error in
            "\(error)".contains("file not found")
        }
    }

    @Test func fetchCopiesToTheControllerUnderTheHostsNameOnce() async throws {
        let host = try await LabModuleHost.make()
        let controller = FileManager.default.temporaryDirectory.appendingPathComponent("keel-fetch-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: controller) }
        let path = host.root + "/id"
        try host.sh("echo machine-42 > \(path)")
        let arguments: OrderedDictionary<String, Value> = ["src": .string(path), "dest": .string(controller + "/fetched")]
        let local = controller + "/fetched/" + host.lab.name + path
        let predicted = try await host.run(FetchModule.self, arguments, .check)
        #expect(predicted.changed)
        #expect(!FileManager.default.fileExists(atPath: local), "check mode wrote on the controller")
        let real = try await host.run(FetchModule.self, arguments)
        #expect(real.changed)
        #expect(FileManager.default.contents(atPath: local) == Data("machine-42\n".utf8))
        #expect(real.values["dest"] == .string(local))
        #expect(try await host.run(FetchModule.self, arguments).changed == false)
        try host.sh("echo machine-43 > \(path)")
        #expect(try await host.run(FetchModule.self, arguments).changed)
        #expect(FileManager.default.contents(atPath: local) == Data("machine-43\n".utf8))

        let flat = try await host.run(FetchModule.self, ["src": .string(path), "dest": .string(controller + "/flat/"), "flat": true])
        #expect(flat.values["dest"] == .string(controller + "/flat/id"))
        #expect(FileManager.default.contents(atPath: controller + "/flat/id") == Data("machine-43\n".utf8))
        await #expect { try await host.run(FetchModule.self, ["src": .string(host.root + "/none"), "dest": .string(controller)]) } throws: { error in
            "\(error)".contains("does not exist")
        }
        #expect(try await host.run(FetchModule.self, ["src": .string(host.root + "/none"), "dest": .string(controller), "fail_on_missing": false]).changed == false)
    }

    @Test func tempfileMakesAFileOrDirectoryAndIsSkippedInCheckMode() async throws {
        let host = try await LabModuleHost.make()
        let file = try await host.run(TempfileModule.self, ["path": .string(host.root), "prefix": "keel.", "suffix": ".tmp"])
        #expect(file.changed)
        let path = try #require(file.values["path"]?.stringValue)
        #expect(path.hasPrefix(host.root + "/keel.") && path.hasSuffix(".tmp"))
        #expect(try host.sh("stat -c '%F %a' \(path)") == "regular empty file 600\n")
        let directory = try await host.run(TempfileModule.self, ["path": .string(host.root), "state": "directory"])
        let dirPath = try #require(directory.values["path"]?.stringValue)
        #expect(try host.sh("stat -c '%F %a' \(dirPath)") == "directory 700\n")
        let before = try host.snapshot()
        #expect(try await host.run(TempfileModule.self, ["path": .string(host.root)], .check).skipped)
        #expect(try host.snapshot() == before)
    }
}
