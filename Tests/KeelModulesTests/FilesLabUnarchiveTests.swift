import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// unarchive on a real host, with archives made on the controller by the real tar and zip.
@Suite("unarchive module on a lab host") struct FilesLabUnarchiveTests {
    let controller: String

    init() throws {
        controller = FileManager.default.temporaryDirectory.appendingPathComponent("keel-unarchive-\(UUID().uuidString)").path
        let tree = controller + "/tree/app"
        try FileManager.default.createDirectory(atPath: tree + "/bin", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: controller + "/files", withIntermediateDirectories: true)
        try "#!/bin/sh\necho run\n".write(toFile: tree + "/bin/run", atomically: true, encoding: .utf8)
        try "name = app\n".write(toFile: tree + "/app.conf", atomically: true, encoding: .utf8)
        try "with space\n".write(toFile: tree + "/read me.txt", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: tree + "/current", withDestinationPath: "bin/run")
        try shell("cd \(controller)/tree && touch -d '2024-05-01 12:00:00 UTC' app app/bin app/bin/run app/app.conf 'app/read me.txt' && chmod 755 app/bin/run"
                  + " && tar cf ../files/app.tar app && tar czf ../files/app.tgz app && tar cJf ../files/app.tar.xz app && zip -qry ../files/app.zip app")
    }

    func shell(_ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw KeelError("`\(command)` failed") }
    }

    func host() async throws -> LabModuleHost {
        var host = try await LabModuleHost.make()
        host.context.files = ControllerFiles(searchPaths: [controller])
        return host
    }

    @Test(arguments: ["app.tar", "app.tgz", "app.tar.xz", "app.zip"])
    func unpacksOnceAndPredictsInCheckMode(_ archive: String) async throws {
        let host = try await host()
        let result = try await host.expectConverges(UnarchiveModule.self, ["src": .string(archive), "dest": .string(host.root), "list_files": true])
        #expect(try host.sh("cd \(host.root) && find . -printf '%p %y\\n' | sort") ==
                ". d\n./app d\n./app/app.conf f\n./app/bin d\n./app/bin/run f\n./app/current l\n./app/read me.txt f\n")
        #expect(try host.sh("cd \(host.root)/app && stat -c '%n %s %a' app.conf bin/run && readlink current") == "app.conf 11 644\nbin/run 19 755\nbin/run\n")
        #expect(try host.read(host.root + "/app/read me.txt") == "with space\n")
        #expect(try host.sh("stat -c %Y \(host.root)/app/app.conf") == "1714564800\n")
        #expect(result.values["files"]?.listValue?.contains("app/app.conf") == true)
        // A file edited on the host is noticed and restored.
        try host.sh("echo changed > '\(host.root)/app/app.conf'")
        let repair = try await host.expectConverges(UnarchiveModule.self, ["src": .string(archive), "dest": .string(host.root)])
        #expect(try host.read(host.root + "/app/app.conf") == "name = app\n")
        #expect(repair.diffs == [Diff(label: host.root, before: "", after: "unpacked: app/app.conf\n")])
    }

    @Test(arguments: ["app.tgz", "app.zip"])
    func anArchiveAlreadyOnTheHostWithRemoteSrc(_ archive: String) async throws {
        let host = try await host()
        let data = try #require(FileManager.default.contents(atPath: controller + "/files/" + archive))
        try await host.context.connection.upload(data, to: host.root + "/" + archive)
        try host.sh("mkdir \(host.root)/out")
        let arguments: OrderedDictionary<String, Value> = ["src": .string(host.root + "/" + archive), "remote_src": true,
                                                           "dest": .string(host.root + "/out"), "list_files": true]
        let result = try await host.expectConverges(UnarchiveModule.self, arguments)
        #expect(try host.read(host.root + "/out/app/read me.txt") == "with space\n")
        #expect(try host.sh("stat -c %Y \(host.root)/out/app/app.conf") == "1714564800\n")
        #expect(result.values["files"]?.listValue?.contains("app/bin/run") == true)
        await #expect { try await host.run(UnarchiveModule.self, ["src": .string(host.root + "/none.tgz"), "remote_src": true, "dest": .string(host.root)]) } throws: { error in
            "\(error)".contains("does not exist on the host")
        }
    }

    /// `copy: no`, the older spelling of remote_src that roles still use, unpacks the archive on the host;
    /// giving both is refused as Ansible refuses it.
    @Test func copyNoIsRemoteSrc() async throws {
        let host = try await host()
        let data = try #require(FileManager.default.contents(atPath: controller + "/files/app.tgz"))
        try await host.context.connection.upload(data, to: host.root + "/app.tgz")
        try host.sh("mkdir \(host.root)/out")
        try await host.expectConverges(UnarchiveModule.self, ["src": .string(host.root + "/app.tgz"), "copy": false, "dest": .string(host.root + "/out")])
        #expect(try host.read(host.root + "/out/app/app.conf") == "name = app\n")
        await #expect { try await host.run(UnarchiveModule.self, ["src": "app.tgz", "copy": true, "remote_src": true, "dest": .string(host.root)]) } throws: { error in
            "\(error)".contains("mutually exclusive")
        }
    }

    @Test(arguments: ["app.tgz", "app.zip"])
    func excludedEntriesAreNeitherUnpackedNorCompared(_ archive: String) async throws {
        let host = try await host()
        try await host.expectConverges(UnarchiveModule.self, ["src": .string(archive), "dest": .string(host.root), "exclude": ["*.txt", "app/bin"]])
        #expect(try host.sh("cd \(host.root) && find . | sort") == ".\n./app\n./app/app.conf\n./app/current\n")
    }

    @Test func ownerAndModeApplyToEveryEntryAndCount() async throws {
        let host = try await host()
        try await host.expectConverges(UnarchiveModule.self, ["src": "app.tgz", "dest": .string(host.root), "owner": "nobody", "mode": "u+rwX,go-rwx"])
        #expect(try host.sh("cd \(host.root)/app && stat -c '%n %U %a' app.conf bin bin/run") == "app.conf nobody 600\nbin nobody 700\nbin/run nobody 700\n")
        try host.sh("chown root \(host.root)/app/bin/run")
        #expect(try await host.run(UnarchiveModule.self, ["src": "app.tgz", "dest": .string(host.root), "owner": "nobody", "mode": "u+rwX,go-rwx"], .check).changed)
    }

    @Test func createsSkipsAndAMissingDestIsAnError() async throws {
        let host = try await host()
        try host.sh("touch \(host.root)/done")
        let skipped = try await host.run(UnarchiveModule.self, ["src": "app.tar", "dest": .string(host.root), "creates": .string(host.root + "/done")])
        #expect(!skipped.changed)
        #expect(try host.sh("ls -A \(host.root)") == "done\n")
        await #expect { try await host.run(UnarchiveModule.self, ["src": "app.tar", "dest": .string(host.root + "/missing")]) } throws: { error in
            "\(error)".contains("must be an existing directory")
        }
        await #expect { try await host.run(UnarchiveModule.self, ["src": "nope.tgz", "dest": .string(host.root)]) } throws: { error in
            "\(error)".contains("could not find the archive 'nope.tgz'")
        }
    }

    @Test func extraOptionsAndKeepNewer() async throws {
        let host = try await host()
        _ = try await host.run(UnarchiveModule.self, ["src": "app.tgz", "dest": .string(host.root), "extra_opts": ["--strip-components=1"]])
        #expect(try host.read(host.root + "/app.conf") == "name = app\n")
        try host.sh("mkdir -p \(host.root)/k && cd \(host.root)/k && mkdir app && echo mine > app/app.conf && touch -d '2030-01-01' app/app.conf")
        _ = try await host.run(UnarchiveModule.self, ["src": "app.tgz", "dest": .string(host.root + "/k"), "keep_newer": true])
        #expect(try host.read(host.root + "/k/app/app.conf") == "mine\n")
        #expect(try await host.run(UnarchiveModule.self, ["src": "app.tgz", "dest": .string(host.root + "/k"), "keep_newer": true]).changed == false)
    }
}
