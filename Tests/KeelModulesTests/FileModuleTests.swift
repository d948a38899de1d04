import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// The controller itself is a real host (connection: local): these converge paths in a temporary
/// directory and inspect them with FileManager, not through the module.
@Suite("file module on a real host") struct FileModuleTests {
    let runner = ModuleRunner(FileModule.self)
    let host = HostContext(name: "localhost", connection: LocalConnection())
    let root: String

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("keel-file-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func run(_ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await runner.run(arguments, at: nil, on: host, mode: mode)
    }

    func mode(_ path: String) throws -> Int {
        try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as! Int
    }

    @Test func aDirectoryIsCreatedOnceWithItsMode() async throws {
        let path = root + "/a/b"
        let args: OrderedDictionary<String, Value> = ["path": .string(path), "state": "directory", "mode": "0750"]
        let check = try await run(args, .check)
        #expect(check.changed)
        #expect(!FileManager.default.fileExists(atPath: path), "check mode must not create anything")
        #expect(try await run(args).changed)
        var isDirectory: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue)
        #expect(try mode(path) == 0o750)
        #expect(try mode(root + "/a") == 0o750, "a parent the task created gets the mode too")
        #expect(try await run(args).changed == false)
        #expect(try await run(args, .check).changed == false)
    }

    /// As ansible-core's file module does: each directory it creates on the way gets the mode and owner,
    /// while a parent that already existed keeps its own.
    @Test func parentsItCreatesGetTheModeAndOwnerToo() async throws {
        let path = root + "/x/y/z"
        try FileManager.default.createDirectory(atPath: root + "/x", withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o711])
        let args: OrderedDictionary<String, Value> = ["path": .string(path), "state": "directory", "mode": "0750", "owner": "nobody"]
        #expect(try await run(args, .check).changed)
        #expect(!FileManager.default.fileExists(atPath: root + "/x/y"), "check mode must not create anything")
        #expect(try await run(args).changed)
        for created in [root + "/x/y", path] {
            #expect(try mode(created) == 0o750, "\(created)")
            #expect(try FileManager.default.attributesOfItem(atPath: created)[.ownerAccountName] as? String == "nobody")
        }
        #expect(try mode(root + "/x") == 0o711, "an existing parent is left alone")
        #expect(try FileManager.default.attributesOfItem(atPath: root + "/x")[.ownerAccountName] as? String != "nobody")
        #expect(try await run(args).changed == false)
        #expect(try await run(args, .check).changed == false)
    }

    /// A directory that is the only one missing is made with `mkdir -m` (one program, not mkdir then
    /// chmod): what it gets must be what mkdir then chmod give, whatever the shell's umask, under a setgid
    /// parent (whose bit the new directory inherits and both keep), special bits included; several missing
    /// levels still each get the mode.
    @Test func aDirectoryMadeWithItsModeIsWhatMkdirThenChmodGive() async throws {
        final class UmaskConnection: Connection {
            let inner = LocalConnection()
            let umask: String
            init(umask: String) { self.umask = umask }
            var hostName: String { "localhost" }
            func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
                try await inner.run("umask \(umask)\n" + script, stdin: stdin, become: become)
            }
            func close() async {}
        }
        func stat(_ path: String) throws -> String {
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            return String((attributes[.posixPermissions] as! Int), radix: 8) + " " + (attributes[.groupOwnerAccountName] as? String ?? "")
        }
        var compared = 0
        for umask in ["022", "077", "000"] {
            let host = HostContext(name: "localhost", connection: UmaskConnection(umask: umask))
            for setgid in [false, true] {
                let parent = root + "/u\(umask)-\(setgid ? "g" : "n")"
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
                if setgid { _ = try await LocalConnection().run("chgrp nogroup \(parent) && chmod 2775 \(parent)") }
                for mode in ["0755", "0700", "2770", "1777", "0555", "0750"] {
                    let made = "\(parent)/m\(mode)", reference = "\(parent)/r\(mode)"
                    // As the module wrote it before: `chmod 755`, `chmod 2770` (no leading zero).
                    let digits = String(Int(mode, radix: 8)!, radix: 8)
                    _ = try await LocalConnection().run("umask \(umask); mkdir \(reference) && chmod \(digits) \(reference)")
                    let result = try await runner.run(["path": .string(made), "state": "directory", "mode": .string(mode)], at: nil, on: host, mode: .apply)
                    #expect(result.changed)
                    #expect(try stat(made) == stat(reference), "umask \(umask), setgid parent \(setgid), mode \(mode)")
                    compared += 1
                }
                if setgid { #expect(try stat(parent + "/m0755").hasPrefix("2755"), "the setgid bit is inherited and kept") }
                let nested = parent + "/n1/n2"
                #expect(try await runner.run(["path": .string(nested), "state": "directory", "mode": "0750"], at: nil, on: host, mode: .apply).changed)
                #expect(try mode(nested) & 0o777 == 0o750 && mode(parent + "/n1") & 0o777 == 0o750)
            }
        }
        #expect(compared == 36)
    }

    @Test func symbolicModesAreAppliedRelativeToTheCurrentMode() async throws {
        let path = root + "/f"
        FileManager.default.createFile(atPath: path, contents: Data(), attributes: [.posixPermissions: 0o600])
        let args: OrderedDictionary<String, Value> = ["path": .string(path), "mode": "g+r,o+r"]
        let first = try await run(args)
        #expect(first.changed)
        #expect(first.diffs.first?.before.contains("mode: 0600") == true)
        #expect(first.diffs.first?.after.contains("mode: 0644") == true)
        #expect(try mode(path) == 0o644)
        #expect(try await run(args).changed == false)
    }

    @Test func linksPointWhereTheyShouldAndAbsentRemoves() async throws {
        let target = root + "/release-1", link = root + "/current"
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let args: OrderedDictionary<String, Value> = ["src": .string(target), "dest": .string(link), "state": "link"]
        #expect(try await run(args).changed)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == target)
        #expect(try await run(args).changed == false)
        #expect(try await run(["path": .string(link), "state": "absent"]).changed)
        #expect(!FileManager.default.fileExists(atPath: link))
        #expect(try await run(["path": .string(link), "state": "absent"]).changed == false)
    }

    @Test func touchWithPreservedTimesIsIdempotent() async throws {
        let path = root + "/marker"
        let args: OrderedDictionary<String, Value> = ["path": .string(path), "state": "touch",
                                                      "modification_time": "preserve", "access_time": "preserve"]
        #expect(try await run(args).changed)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try await run(args).changed == false)
    }

    @Test func stateFileOnAMissingPathFailsClearly() async throws {
        await #expect { try await run(["path": .string(root + "/nope")]) } throws: { error in
            "\(error)".contains("is absent, cannot continue")
        }
    }
}
