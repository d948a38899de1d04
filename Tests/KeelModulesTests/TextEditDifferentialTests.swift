import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// blockinfile and replace edit the same starting file as Ansible's modules do; the results must be
/// byte-identical, and both must agree on whether anything changed.
@Suite("blockinfile and replace match Ansible") struct TextEditDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var module: String
        var name: String
        var initial: String?
        var arguments: OrderedDictionary<String, Value>
        var testDescription: String { "\(module): \(name)" }
    }

    static let hosts = "127.0.0.1 localhost\n# lab\n198.18.0.2 acme\n::1 localhost ip6-localhost\n"
    static let managed = "a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n"

    static let blockCases: [Case] = [
        Case(module: "blockinfile", name: "append at EOF", initial: hosts, arguments: ["block": "10.0.0.1 db\n10.0.0.2 web"]),
        Case(module: "blockinfile", name: "no final newline", initial: "one\ntwo", arguments: ["block": "three"]),
        Case(module: "blockinfile", name: "insertafter regexp (last match)", initial: hosts, arguments: ["block": "x", "insertafter": "localhost"]),
        Case(module: "blockinfile", name: "insertbefore regexp", initial: hosts, arguments: ["block": "x", "insertbefore": "^198"]),
        Case(module: "blockinfile", name: "insertbefore BOF", initial: hosts, arguments: ["block": "x", "insertbefore": "BOF"]),
        Case(module: "blockinfile", name: "insertafter without match goes to EOF", initial: hosts, arguments: ["block": "x", "insertafter": "^nothing"]),
        Case(module: "blockinfile", name: "multiline insertafter", initial: hosts, arguments: ["block": "x", "insertafter": "(?m)^# lab\\n198"]),
        Case(module: "blockinfile", name: "existing block replaced in place", initial: managed, arguments: ["block": "new\nlines"]),
        Case(module: "blockinfile", name: "existing block already right", initial: managed, arguments: ["block": "old"]),
        Case(module: "blockinfile", name: "existing block stays put despite insertbefore", initial: managed, arguments: ["block": "z", "insertbefore": "BOF"]),
        Case(module: "blockinfile", name: "state absent", initial: managed, arguments: ["state": "absent"]),
        Case(module: "blockinfile", name: "empty block removes", initial: managed, arguments: ["block": ""]),
        Case(module: "blockinfile", name: "custom marker", initial: hosts, arguments: ["block": "x", "marker": "<!-- {mark} keel -->", "marker_begin": "B", "marker_end": "E"]),
        Case(module: "blockinfile", name: "prepend and append newline", initial: hosts, arguments: ["block": "x", "insertafter": "^# lab", "prepend_newline": true, "append_newline": true]),
        Case(module: "blockinfile", name: "create", initial: nil, arguments: ["block": "first", "create": true]),
        Case(module: "blockinfile", name: "CRLF file", initial: "a\r\nb\r\n", arguments: ["block": "c"]),
        Case(module: "blockinfile", name: "markers in reverse order", initial: "# END ANSIBLE MANAGED BLOCK\nmid\n# BEGIN ANSIBLE MANAGED BLOCK\n", arguments: ["block": "y"]),
    ]

    static let replaceCases: [Case] = [
        Case(module: "replace", name: "every match", initial: hosts, arguments: ["regexp": "localhost", "replace": "loopback"]),
        Case(module: "replace", name: "anchors match every line", initial: hosts, arguments: ["regexp": "^(\\S+)\\s+(\\S+)$", "replace": "\\2 = \\1"]),
        Case(module: "replace", name: "named groups", initial: "user=bob\nuser=eve\n", arguments: ["regexp": "^user=(?P<name>\\w+)", "replace": "owner=\\g<name>"]),
        Case(module: "replace", name: "delete matches", initial: hosts, arguments: ["regexp": "^#.*\\n"]),
        Case(module: "replace", name: "after only", initial: hosts, arguments: ["regexp": "localhost", "replace": "lo", "after": "# lab"]),
        Case(module: "replace", name: "before only", initial: hosts, arguments: ["regexp": "localhost", "replace": "lo", "before": "# lab"]),
        Case(module: "replace", name: "after and before", initial: "[a]\nk=1\n[b]\nk=1\n[c]\nk=1\n", arguments: ["regexp": "^k=1$", "replace": "k=2", "after": "\\[b\\]", "before": "\\[c\\]"]),
        Case(module: "replace", name: "after without match", initial: hosts, arguments: ["regexp": "localhost", "replace": "x", "after": "^nothing"]),
        Case(module: "replace", name: "no match", initial: hosts, arguments: ["regexp": "^zzz", "replace": "x"]),
        Case(module: "replace", name: "replacement equal to match", initial: hosts, arguments: ["regexp": "acme", "replace": "acme"]),
        Case(module: "replace", name: "escapes in replacement", initial: "a,b\n", arguments: ["regexp": ",", "replace": "\\n\\t"]),
        Case(module: "replace", name: "empty matches", initial: "abxd\n", arguments: ["regexp": "x*", "replace": "-"]),
        Case(module: "replace", name: "dollar before CRLF", initial: "k=1\r\nk=2\r\n", arguments: ["regexp": "1$", "replace": "9"]),
    ]

    @Test(arguments: blockCases + replaceCases)
    func sameResultAsAnsible(_ example: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-edit-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let theirs = dir + "/ansible.txt", ours = dir + "/keel.txt"
        if let initial = example.initial {
            for path in [theirs, ours] { _ = FileManager.default.createFile(atPath: path, contents: Data(initial.utf8)) }
        }
        var theirArguments = example.arguments, ourArguments = example.arguments
        theirArguments["path"] = .string(theirs)
        ourArguments["path"] = .string(ours)
        let oracle = try AnsibleOracle.run(module: example.module, arguments: theirArguments)
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let runner = example.module == "replace" ? ModuleRunner(ReplaceModule.self) : ModuleRunner(BlockInFileModule.self)
        let keel = try await runner.run(ourArguments, at: nil, on: host, mode: .apply)
        #expect(!oracle.failed, "ansible failed: \(oracle.result.jsonString())")
        #expect(keel.changed == oracle.changed)
        let expected = FileManager.default.contents(atPath: theirs).map { String(decoding: $0, as: UTF8.self) }
        let actual = FileManager.default.contents(atPath: ours).map { String(decoding: $0, as: UTF8.self) }
        #expect(actual == expected)
        #expect(keel.values["msg"]?.stringValue == oracle.result["msg"]?.stringValue)
    }
}
