import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// Each case edits the same starting file with community.general.ini_file and with Keel's ini_file; the
/// bytes must be identical, and both must agree on whether anything changed and on the message.
@Suite("ini_file matches Ansible") struct IniFileDifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var initial: String?
        var arguments: OrderedDictionary<String, Value>
        var testDescription: String { name }
    }

    static let php = "; php settings\n[PHP]\nengine = On\n;memory_limit = 128M\n\n[Session]\nsession.save_handler = files\n\n"
    static let multi = "[repo]\nbaseurl = a\nbaseurl = b\nother=1\n# trailing comment\n\n[next]\nx = 1\n"

    static let cases: [Case] = [
        Case(name: "new file gets a leading blank line", initial: nil, arguments: ["section": "drinks", "option": "fav", "value": "lemonade"]),
        Case(name: "uncomment an inactive option", initial: php, arguments: ["section": "PHP", "option": "memory_limit", "value": "256M"]),
        Case(name: "already right", initial: php, arguments: ["section": "PHP", "option": "engine", "value": "On"]),
        Case(name: "change a value", initial: php, arguments: ["section": "PHP", "option": "engine", "value": "Off"]),
        Case(name: "add before trailing blank lines", initial: php, arguments: ["section": "Session", "option": "session.name", "value": "SID"]),
        Case(name: "new section at the end", initial: php, arguments: ["section": "opcache", "option": "opcache.enable", "value": "1"]),
        Case(name: "no_extra_spaces", initial: php, arguments: ["section": "PHP", "option": "short_open_tag", "value": "Off", "no_extra_spaces": true]),
        Case(name: "no section: before the first section", initial: php, arguments: ["option": "global", "value": "yes"]),
        Case(name: "absent option", initial: php, arguments: ["section": "PHP", "option": "engine", "state": "absent"]),
        Case(name: "absent commented option is left", initial: php, arguments: ["section": "PHP", "option": "memory_limit", "state": "absent"]),
        Case(name: "absent section", initial: php, arguments: ["section": "Session", "state": "absent"]),
        Case(name: "values exclusive", initial: multi, arguments: ["section": "repo", "option": "baseurl", "values": ["b", "c"]]),
        Case(name: "values not exclusive", initial: multi, arguments: ["section": "repo", "option": "baseurl", "values": ["c"], "exclusive": false]),
        Case(name: "single value replaces duplicates", initial: multi, arguments: ["section": "repo", "option": "baseurl", "value": "z"]),
        Case(name: "absent one value", initial: multi, arguments: ["section": "repo", "option": "baseurl", "values": ["a"], "state": "absent", "exclusive": false]),
        Case(name: "allow_no_value", initial: multi, arguments: ["section": "next", "option": "skip-name-resolve", "allow_no_value": true]),
        Case(name: "allow_no_value only section", initial: multi, arguments: ["section": "mysqld", "allow_no_value": true]),
        Case(name: "ignore_spaces", initial: "[a]\nk=v\n", arguments: ["section": "a", "option": "k", "value": "v", "ignore_spaces": true]),
        Case(name: "spacing differs without ignore_spaces", initial: "[a]\nk=v\n", arguments: ["section": "a", "option": "k", "value": "v"]),
        Case(name: "no final newline", initial: "[a]\nk = v", arguments: ["section": "a", "option": "k", "value": "v"]),
        Case(name: "CRLF untouched when right", initial: "[a]\r\nk = v\r\n", arguments: ["section": "a", "option": "k", "value": "v"]),
        Case(name: "CRLF rewritten on change", initial: "[a]\r\nk = v\r\n", arguments: ["section": "a", "option": "k", "value": "w"]),
        Case(name: "modify_inactive_option false", initial: php, arguments: ["section": "PHP", "option": "memory_limit", "value": "1G", "modify_inactive_option": false]),
        Case(name: "section header with spaces", initial: "[ a ] ; c\nk = v\n", arguments: ["section": "a", "option": "j", "value": "w"]),
        Case(name: "section_has_values", initial: "[php]\nname = a\nx = 1\n[php]\nname = b\nx = 1\n",
             arguments: ["section": "php", "section_has_values": [["option": "name", "value": "b"]], "option": "x", "value": "2"]),
        Case(name: "section_has_values adds section", initial: "[php]\nname = a\n",
             arguments: ["section": "php", "section_has_values": [["option": "name", "values": ["c"]]], "option": "x", "value": "2"]),
        Case(name: "empty file", initial: "", arguments: ["section": "s", "option": "o", "value": "v"]),
        Case(name: "absent on missing file", initial: nil, arguments: ["section": "s", "option": "o", "state": "absent"]),
    ]

    @Test(arguments: cases)
    func sameResultAsAnsible(_ example: Case) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ini-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let theirs = dir + "/ansible.ini", ours = dir + "/keel.ini"
        if let initial = example.initial {
            for path in [theirs, ours] { FileManager.default.createFile(atPath: path, contents: Data(initial.utf8)) }
        }
        var theirArguments = example.arguments, ourArguments = example.arguments
        theirArguments["path"] = .string(theirs)
        ourArguments["path"] = .string(ours)
        let oracle = try AnsibleOracle.run(module: "community.general.ini_file", arguments: theirArguments)
        let host = HostContext(name: "localhost", connection: LocalConnection())
        let keel = try await ModuleRunner(IniFileModule.self).run(ourArguments, at: nil, on: host, mode: .apply)
        #expect(!oracle.failed, "ansible failed: \(oracle.result.jsonString())")
        #expect(keel.changed == oracle.changed)
        #expect(keel.values["msg"] == oracle.result["msg"])
        let expected = FileManager.default.contents(atPath: theirs).map { String(decoding: $0, as: UTF8.self) }
        let actual = FileManager.default.contents(atPath: ours).map { String(decoding: $0, as: UTF8.self) }
        #expect(actual == expected)
        // A second run leaves the file alone.
        let again = try await ModuleRunner(IniFileModule.self).run(ourArguments, at: nil, on: host, mode: .apply)
        #expect(!again.changed)
    }
}

/// ini_file on a lab host: the converge contract (check mode predicts, second run is ok), attributes, backup.
@Suite("ini_file on a lab host") struct IniFileLabTests {
    @Test func convergesAnOptionWithModeAndBackup() async throws {
        let host = try await LabModuleHost.make(prefix: "inifile")
        let path = host.root + "/app.ini"
        try host.sh("printf '[main]\\nport = 80\\n' > \(path); chmod 600 \(path)")
        let result = try await host.expectConverges(IniFileModule.self, ["path": .string(path), "section": "main", "option": "port",
                                                                         "value": "8080", "mode": "0640", "backup": true])
        #expect(try host.read(path) == "[main]\nport = 8080\n")
        #expect(try host.sh("stat -c %a \(path)") == "640\n")
        #expect(result.values["msg"] == "option changed")
        #expect(result.values["backup_file"]?.stringValue?.hasPrefix(path + ".") == true)
        // Only the mode differs: the content stays and only the mode is fixed.
        try host.sh("chmod 644 \(path)")
        try await host.expectConverges(IniFileModule.self, ["path": .string(path), "section": "main", "option": "port", "value": "8080", "mode": "0640"])
        #expect(try host.sh("stat -c %a \(path)") == "640\n")
    }

    @Test func createsTheFileAndItsDirectoryOrRefuses() async throws {
        let host = try await LabModuleHost.make(prefix: "inifile")
        let path = host.root + "/conf.d/new.ini"
        try await host.expectConverges(IniFileModule.self, ["path": .string(path), "section": "s", "option": "o", "value": "v"])
        #expect(try host.read(path) == "\n[s]\no = v\n")
        await #expect { try await host.run(IniFileModule.self, ["path": .string(host.root + "/nope.ini"), "section": "s", "option": "o",
                                                                "value": "v", "create": false]) } throws: { "\($0)".contains("does not exist!") }
        await #expect { try await host.run(IniFileModule.self, ["path": .string(path), "section": "s", "option": "o"]) } throws: {
            "\($0)".contains("Parameter 'value(s)' must be defined")
        }
    }
}
