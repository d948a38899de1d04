import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

@Suite("copy module on a real host") struct CopyModuleTests {
    let runner = ModuleRunner(CopyModule.self)
    let host = HostContext(name: "localhost", connection: LocalConnection())
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("keel-copy-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func run(_ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await runner.run(arguments, at: nil, on: host, mode: mode)
    }

    func read(_ path: String) -> String? { FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } }
    func mode(_ path: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int }

    @Test func contentIsWrittenOnceAndCheckModeOnlyPredicts() async throws {
        let dest = root + "/app.conf"
        let args: OrderedDictionary<String, Value> = ["content": "port = 80\n", "dest": .string(dest), "mode": "0640"]
        let predicted = try await run(args, .check)
        #expect(predicted.changed)
        #expect(predicted.diffs.first?.after == "port = 80\n")
        #expect(read(dest) == nil)
        #expect(try await run(args).changed)
        #expect(read(dest) == "port = 80\n")
        #expect(try mode(dest) == 0o640)
        #expect(try await run(args).changed == false)
    }

    @Test func aContentChangeShowsBeforeAndAfterAndKeepsTheMode() async throws {
        let dest = root + "/motd"
        FileManager.default.createFile(atPath: dest, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o600])
        let result = try await run(["content": "new\n", "dest": .string(dest)])
        #expect(result.diffs == [Diff(label: dest, before: "old\n", after: "new\n")])
        #expect(read(dest) == "new\n")
        #expect(try mode(dest) == 0o600, "the old file's mode is kept when none is given")
    }

    @Test func aFailingValidateLeavesTheOldFileAndNoTemporaryFile() async throws {
        let dest = root + "/checked"
        FileManager.default.createFile(atPath: dest, contents: Data("good\n".utf8))
        await #expect { try await run(["content": "bad\n", "dest": .string(dest), "validate": "grep -q good %s"]) } throws: { error in
            "\(error)".contains("validation failed")
        }
        #expect(read(dest) == "good\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: root) == ["checked"])
        #expect(try await run(["content": "good too\n", "dest": .string(dest), "validate": "grep -q good %s"]).changed)
    }

    @Test func backupKeepsTheReplacedFile() async throws {
        let dest = root + "/hosts"
        FileManager.default.createFile(atPath: dest, contents: Data("one\n".utf8))
        let result = try await run(["content": "two\n", "dest": .string(dest), "backup": true])
        let backup = try #require(result.values["backup_file"]?.stringValue)
        #expect(read(backup) == "one\n")
        #expect(backup.hasPrefix(dest + "."))
        #expect(backup.hasSuffix("~"))
    }

    @Test func srcIsFoundInTheFilesFolderAndADirectoryDestTakesItsName() async throws {
        let role = root + "/role"
        try FileManager.default.createDirectory(atPath: role + "/files", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: role + "/files/banner.txt", contents: Data("hello\n".utf8))
        try FileManager.default.createDirectory(atPath: root + "/etc", withIntermediateDirectories: true)
        var withFiles = host
        withFiles.files = ControllerFiles(searchPaths: [role])
        let result = try await runner.run(["src": "banner.txt", "dest": .string(root + "/etc")], at: nil, on: withFiles, mode: .apply)
        #expect(result.changed)
        #expect(read(root + "/etc/banner.txt") == "hello\n")
    }

    @Test func onlyAttributesChangeWhenContentMatches() async throws {
        let dest = root + "/same"
        FileManager.default.createFile(atPath: dest, contents: Data("x".utf8), attributes: [.posixPermissions: 0o644])
        let result = try await run(["content": "x", "dest": .string(dest), "mode": "0600"])
        #expect(result.changed)
        #expect(try mode(dest) == 0o600)
        #expect(try await run(["content": "x", "dest": .string(dest), "mode": "0600"]).changed == false)
    }
}
