import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// stat reports the same fields as Ansible's stat for the same paths (a file, a link, a directory, a
/// missing path), with and without follow.
@Suite("stat matches Ansible") struct StatDifferentialTests {
    static let compared = ["exists", "path", "mode", "isdir", "isreg", "islnk", "ischr", "isblk", "isfifo", "issock", "uid", "gid",
                           "pw_name", "gr_name", "size", "inode", "dev", "nlink", "blocks", "block_size", "checksum", "lnk_target",
                           "lnk_source", "readable", "writeable", "executable", "isuid", "isgid", "rusr", "wusr", "xusr", "rgrp",
                           "wgrp", "xgrp", "roth", "woth", "xoth", "mimetype", "charset"]

    @Test(arguments: [("file", false), ("link", false), ("link", true), ("dir", false), ("missing", false)])
    func sameFieldsAsAnsible(_ name: String, _ follow: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-stat-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/dir", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/file", contents: Data("hello\n".utf8), attributes: [.posixPermissions: 0o4751])
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "file")
        let arguments: OrderedDictionary<String, Value> = ["path": .string(dir + "/" + name), "follow": .bool(follow)]
        let oracle = try AnsibleOracle.run(module: "stat", arguments: arguments)
        let keel = try await ModuleRunner(StatModule.self).run(arguments, at: nil, on: HostContext(name: "localhost", connection: LocalConnection()), mode: .apply)
        let theirs = try #require(oracle.result["stat"]), ours = try #require(keel.values["stat"])
        for field in Self.compared {
            #expect(ours[field] == theirs[field], "\(field): keel \(ours[field].map { $0.jsonString() } ?? "nil"), ansible \(theirs[field].map { $0.jsonString() } ?? "nil")")
        }
        if case .double(let mtime)? = theirs["mtime"], case .double(let ourMtime)? = ours["mtime"] {
            #expect(abs(mtime - ourMtime) < 0.001)
        }
    }
}
