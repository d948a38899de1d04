import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// assemble makes the same file as Ansible's assemble from the same fragments, byte for byte, with the
/// fragments on the host (Ansible's module) and on the controller (Ansible's action plugin, which joins
/// differently after a delimiter).
@Suite("assemble matches Ansible") struct AssembleDifferentialTests {
    static let cases: [OrderedDictionary<String, Value>] = [
        [:],
        ["delimiter": "### fragment"],
        ["delimiter": #"-- \n"#],
        ["delimiter": #"\\t|"#],
        ["delimiter": #"\x41\102\t"#],
        ["regexp": #"^[0-9a-z.]"#, "ignore_hidden": true],
        ["regexp": "x", "delimiter": "#"],
    ]

    /// Fragments that exercise the rules: names that sort differently by byte than by locale or hold a space
    /// or a newline, one without a final newline, an empty one, a hidden one, a link to a file, a directory.
    static func fragments(in dir: String) throws {
        let frags = dir + "/frags"
        try FileManager.default.createDirectory(atPath: frags + "/5-dir", withIntermediateDirectories: true)
        let files: [(String, String)] = [("10", "ten\n"), ("9", "nine"), ("Z", ""), ("a-x", "a\n"), ("é-x", "e acute\n"),
                                         (".hidden", "hidden\n"), ("tail", "last line, no newline"),
                                         ("a b", "space\n"), ("new\nline", "newline in the name\n")]
        for (name, content) in files { try content.write(toFile: frags + "/" + name, atomically: true, encoding: .utf8) }
        try FileManager.default.createSymbolicLink(atPath: frags + "/b-link", withDestinationPath: "10")
    }

    @Test(arguments: 0..<cases.count, [true, false])
    func sameBytesAsAnsible(_ index: Int, _ remoteSrc: Bool) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-assemble-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.fragments(in: dir)
        func arguments(_ dest: String) -> OrderedDictionary<String, Value> {
            var arguments = Self.cases[index]
            arguments["src"] = .string(dir + "/frags")
            arguments["dest"] = .string(dir + "/" + dest)
            arguments["remote_src"] = .bool(remoteSrc)
            return arguments
        }
        let oracle = try AnsibleOracle.run(module: "assemble", arguments: arguments("ansible.out"))
        #expect(oracle.changed && !oracle.failed, "\(oracle.result.jsonString())")
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let keel = try await ModuleRunner(AssembleModule.self).run(arguments("keel.out"), at: nil, on: host, mode: .apply)
        #expect(keel.changed)
        let theirs = try #require(FileManager.default.contents(atPath: dir + "/ansible.out"))
        let ours = try #require(FileManager.default.contents(atPath: dir + "/keel.out"))
        #expect(ours == theirs, "keel: \(String(decoding: ours, as: UTF8.self).debugDescription)\nansible: \(String(decoding: theirs, as: UTF8.self).debugDescription)")
        let modes = try ["keel.out", "ansible.out"].map { try FileManager.default.attributesOfItem(atPath: dir + "/" + $0)[.posixPermissions] as? Int }
        #expect(modes[0] == modes[1])
        // Each accepts the other's file as converged.
        #expect(try await ModuleRunner(AssembleModule.self).run(arguments("ansible.out"), at: nil, on: host, mode: .apply).changed == false)
    }
}
