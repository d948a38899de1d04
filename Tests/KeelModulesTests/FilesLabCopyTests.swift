import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// copy on a real host: directory trees from the role's files/, dest as a directory, remote_src, force.
@Suite("copy module on a lab host") struct FilesLabCopyTests {
    func controller() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-copytree-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/files/site/conf.d", withIntermediateDirectories: true)
        try "index\n".write(toFile: dir + "/files/site/index.html", atomically: true, encoding: .utf8)
        try "x = 1\n".write(toFile: dir + "/files/site/conf.d/x.conf", atomically: true, encoding: .utf8)
        try "banner\n".write(toFile: dir + "/files/banner", atomically: true, encoding: .utf8)
        return dir
    }

    @Test func aDirectorySrcIsMirroredWithTheDirectoryItself() async throws {
        var host = try await LabModuleHost.make()
        let dir = try controller()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        host.context.files = ControllerFiles(searchPaths: [dir])
        let result = try await host.expectConverges(CopyModule.self, ["src": "site", "dest": .string(host.root), "directory_mode": "0750", "mode": "0640"])
        #expect(try host.sh("cd \(host.root) && find . -printf '%p %y %m\\n' | sort") ==
                ". d 755\n./site d 750\n./site/conf.d d 750\n./site/conf.d/x.conf f 640\n./site/index.html f 640\n")
        #expect(try host.read(host.root + "/site/conf.d/x.conf") == "x = 1\n")
        #expect(result.diffs.map(\.label).contains(host.root + "/site/index.html"))
        // Drift in one file is found and only that file is rewritten.
        try host.sh("echo changed > \(host.root)/site/index.html")
        let repair = try await host.expectConverges(CopyModule.self, ["src": "site", "dest": .string(host.root), "directory_mode": "0750", "mode": "0640"])
        #expect(repair.diffs == [Diff(label: host.root + "/site/index.html", before: "changed\n", after: "index\n")])
    }

    @Test func aTrailingSlashCopiesOnlyTheContentsAndMakesDest() async throws {
        var host = try await LabModuleHost.make()
        let dir = try controller()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        host.context.files = ControllerFiles(searchPaths: [dir])
        try await host.expectConverges(CopyModule.self, ["src": "site/", "dest": .string(host.root + "/www")])
        #expect(try host.sh("cd \(host.root) && find . | sort") == ".\n./www\n./www/conf.d\n./www/conf.d/x.conf\n./www/index.html\n")
    }

    @Test func destAsADirectoryRemoteSrcAndForceNo() async throws {
        var host = try await LabModuleHost.make()
        let dir = try controller()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        host.context.files = ControllerFiles(searchPaths: [dir])
        try host.sh("mkdir \(host.root)/etc")
        try await host.expectConverges(CopyModule.self, ["src": "banner", "dest": .string(host.root + "/etc")])
        #expect(try host.read(host.root + "/etc/banner") == "banner\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o751], ofItemAtPath: dir + "/files/banner")
        try await host.expectConverges(CopyModule.self, ["src": "banner", "dest": .string(host.root + "/etc"), "mode": "preserve"])
        #expect(try host.sh("stat -c %a \(host.root)/etc/banner") == "751\n", "mode: preserve takes the controller file's mode")
        try await host.expectConverges(CopyModule.self, ["src": .string(host.root + "/etc/banner"), "remote_src": true, "dest": .string(host.root + "/copy")])
        #expect(try host.read(host.root + "/copy") == "banner\n")
        try host.sh("echo mine > \(host.root)/copy")
        #expect(try await host.run(CopyModule.self, ["content": "theirs\n", "dest": .string(host.root + "/copy"), "force": false]).changed == false)
        #expect(try host.read(host.root + "/copy") == "mine\n")
    }
}

/// A replaced file keeps its owner, group and mode when the task sets none, exactly as `chmod --reference`
/// then `chown --reference` leave it (Ansible's atomic_move: chmod, then chown, which clears a setuid or
/// setgid bit); the chown is left out only where it changes nothing.
@Suite("copy keeps a replaced file's attributes") struct FilesLabReplacedAttributesTests {
    @Test func ownerGroupAndModeAreThoseTheReferenceCommandsGive() async throws {
        let host = try await LabModuleHost.make()
        // owner:group and mode of each existing destination; the shell's own user is root here.
        let cases = [("root:root", "0644"), ("root:root", "4755"), ("root:root", "2775"), ("nobody:nogroup", "0640"),
                     ("root:daemon", "0664"), ("nobody:root", "6750")]
        for (index, (ownership, mode)) in cases.enumerated() {
            let dest = "\(host.root)/f\(index)", reference = "\(host.root)/r\(index)"
            try host.sh("mkdir -p \(host.root) && printf old > \(dest) && chown \(ownership) \(dest) && chmod \(mode) \(dest)"
                        + " && printf new > \(reference) && chmod --reference=\(dest) \(reference) && chown --reference=\(dest) \(reference)")
            let expected = try host.sh("stat -c '%U:%G %a' \(reference)")
            try await host.expectConverges(CopyModule.self, ["content": "replaced\n", "dest": .string(dest)])
            #expect(try host.sh("stat -c '%U:%G %a' \(dest)") == expected, "\(ownership) \(mode)")
            #expect(try host.read(dest) == "replaced\n")
        }
        // What the reference commands give for the setuid file: the bit cleared by the chown.
        #expect(try host.sh("stat -c '%a' \(host.root)/r1") == "755\n")
    }
}
