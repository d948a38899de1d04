import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// Each case edits the same starting file with Ansible's lineinfile and with Keel's; the results must be
/// byte-identical, and both must agree on whether anything changed.
@Suite("lineinfile matches Ansible") struct LineInFileDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var initial: String?
        var arguments: OrderedDictionary<String, Value>
        var testDescription: String { name }
    }

    static let config = "# sshd\n#PasswordAuthentication yes\nPort 22\nListenAddress 0.0.0.0\n"

    static let cases: [Case] = [
        Case(name: "replace the last regexp match", initial: config, arguments: ["regexp": "^#?PasswordAuthentication", "line": "PasswordAuthentication no"]),
        Case(name: "already right", initial: "a\nPasswordAuthentication no\n", arguments: ["regexp": "^#?PasswordAuthentication", "line": "PasswordAuthentication no"]),
        Case(name: "append at EOF", initial: config, arguments: ["line": "UseDNS no"]),
        Case(name: "exact line exists", initial: config, arguments: ["line": "Port 22"]),
        Case(name: "no final newline", initial: "one\ntwo", arguments: ["line": "three"]),
        Case(name: "insertafter regexp", initial: config, arguments: ["line": "Port 2222", "insertafter": "^Port"]),
        Case(name: "insertbefore regexp", initial: config, arguments: ["line": "AddressFamily inet", "insertbefore": "^ListenAddress"]),
        Case(name: "insertbefore BOF", initial: config, arguments: ["line": "# managed by keel", "insertbefore": "BOF"]),
        Case(name: "insertafter without match goes to EOF", initial: config, arguments: ["line": "X 1", "insertafter": "^Nothing"]),
        Case(name: "firstmatch", initial: "k=1\nk=2\nk=3\n", arguments: ["regexp": "^k=", "line": "k=9", "firstmatch": true]),
        Case(name: "backrefs", initial: "port = 80\n", arguments: ["regexp": "^port = (\\d+)$", "line": "port = \\1 # keep", "backrefs": true]),
        Case(name: "backrefs without match leaves the file", initial: config, arguments: ["regexp": "^Nope (.*)", "line": "\\1", "backrefs": true]),
        Case(name: "absent by regexp", initial: "a\n#x\nb\n#y\n", arguments: ["regexp": "^#", "state": "absent"]),
        Case(name: "absent by line", initial: "a\nb\na\n", arguments: ["line": "a", "state": "absent"]),
        Case(name: "search_string", initial: config, arguments: ["search_string": "ListenAddress", "line": "ListenAddress 127.0.0.1"]),
        Case(name: "create", initial: nil, arguments: ["line": "first", "create": true]),
        Case(name: "CRLF lines are kept", initial: "a\r\nb\r\n", arguments: ["line": "c"]),
        Case(name: "named group backrefs", initial: "user=bob\n", arguments: ["regexp": "^user=(?P<name>\\w+)$", "line": "owner=\\g<name>", "backrefs": true]),
    ]

    @Test(arguments: cases)
    func sameResultAsAnsible(_ example: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-lif-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let theirs = dir + "/ansible.txt", ours = dir + "/keel.txt"
        if let initial = example.initial {
            for path in [theirs, ours] { FileManager.default.createFile(atPath: path, contents: Data(initial.utf8)) }
        }
        var theirArguments = example.arguments, ourArguments = example.arguments
        theirArguments["path"] = .string(theirs)
        ourArguments["path"] = .string(ours)
        let oracle = try AnsibleOracle.run(module: "lineinfile", arguments: theirArguments)
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let keel = try await ModuleRunner(LineInFileModule.self).run(ourArguments, at: nil, on: host, mode: .apply)
        #expect(!oracle.failed, "ansible failed: \(oracle.result.jsonString())")
        #expect(keel.changed == oracle.changed)
        let expected = FileManager.default.contents(atPath: theirs).map { String(decoding: $0, as: UTF8.self) }
        let actual = FileManager.default.contents(atPath: ours).map { String(decoding: $0, as: UTF8.self) }
        #expect(actual == expected)
    }
}
