import Foundation
import KeelBase
import KeelModel
import OrderedCollections
import Testing

@Suite("Extra vars (-e)")
struct VariablesExtraVarsTests {
    @Test("key=value pairs are strings; quotes around a whole value go")
    func keyValues() throws {
        #expect(try ExtraVars.parse("a=1 b=\"x y\" c='z'") == ["a": "1", "b": "x y", "c": "z"])
    }

    @Test("only the first '=' separates key and value")
    func firstEquals() throws {
        #expect(try ExtraVars.parse("k=v=w") == ["k": "v=w"])
    }

    @Test("Jinja2 expressions with spaces stay one value")
    func jinja() throws {
        #expect(try ExtraVars.parse("t={{ x | default(1) }} u=2") == ["t": "{{ x | default(1) }}", "u": "2"])
    }

    @Test("escapes are decoded as Ansible's parse_kv does")
    func escapes() throws {
        #expect(try ExtraVars.parse("msg=\"hi\\nthere\"") == ["msg": "hi\nthere"])
        #expect(try ExtraVars.parse("x=\"a\\\"b\"") == ["x": "a\"b"])
    }

    @Test("JSON is typed")
    func json() throws {
        #expect(try ExtraVars.parse("{\"n\": 1, \"l\": [true, null], \"s\": \"x\"}") == ["n": 1, "l": [true, nil], "s": "x"])
    }

    @Test("inline YAML flow mappings work too")
    func yamlFlow() throws {
        #expect(try ExtraVars.parse("{a: yes, b: 0644}") == ["a": true, "b": 420])
    }

    @Test("@file loads YAML or JSON")
    func file() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ev-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let yaml = dir.appendingPathComponent("vars.yml"), json = dir.appendingPathComponent("vars.json")
        try "port: 8080\nnames: [a, b]\n".write(to: yaml, atomically: true, encoding: .utf8)
        try "{\"port\": 9090}".write(to: json, atomically: true, encoding: .utf8)
        #expect(try ExtraVars.parse("@" + yaml.path) == ["port": 8080, "names": ["a", "b"]])
        #expect(try ExtraVars.parse(["@" + yaml.path, "@" + json.path]) == ["port": 9090, "names": ["a", "b"]])
    }

    @Test("later -e values replace earlier keys")
    func laterWins() throws {
        #expect(try ExtraVars.parse(["a=1 b=1", "{\"b\": 2}", "a=3"]) == ["a": "3", "b": 2])
    }

    @Test("a path without '@' is refused with a suggestion")
    func pathWithoutAt() throws {
        #expect { try ExtraVars.parse("./vars.yml") } throws: { ($0 as? KeelError)?.suggestion == "@./vars.yml" }
    }

    @Test("a missing @file is an error naming it")
    func missingFile() throws {
        #expect { try ExtraVars.parse("@/nonexistent/vars.yml") } throws: { ($0 as? KeelError)?.message.contains("/nonexistent/vars.yml") == true }
    }

    @Test("JSON that is not a mapping is refused")
    func notMapping() throws {
        #expect(throws: KeelError.self) { try ExtraVars.parse("[1, 2]") }
    }

    @Test("invalid JSON is refused")
    func invalidJSON() throws {
        #expect(throws: KeelError.self) { try ExtraVars.parse("{\"a\": ") }
    }

    @Test("a word without '=' is refused")
    func bareWord() throws {
        #expect { try ExtraVars.parse("a=1 oops") } throws: { ($0 as? KeelError)?.found == "oops" }
    }

    @Test("a @file holding a list is refused at its location")
    func fileNotMapping() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ev-\(UUID().uuidString).yml")
        try "- a\n".write(to: file, atomically: true, encoding: .utf8)
        #expect { try ExtraVars.parse("@" + file.path) } throws: { ($0 as? KeelError)?.location?.file == file.path }
    }
}

/// `key=value` extra vars against Ansible's own parse_kv.
@Suite("Extra vars key=value match Ansible's parse_kv")
struct VariablesExtraVarsOracleTests {
    static let inputs = [
        "a=1 b=\"x y\" c='z'", "k=v=w", "msg=\"hi\\nthere\"", "a=b\"c d\"", "t={{ x }} u=\"{{ y | default(1) }}\"",
        "x=\"a\\\"b\"", "path=/opt/app name=web-01", "empty= other=1", "uni=\"caf\\u00e9\"", "q='it''s'",
        "j={% if a %}b{% endif %} k=2",
    ]

    @Test("parse_kv", arguments: inputs)
    func keyValuesMatchAnsible(_ input: String) throws {
        let oracle = try InventoryOracle.make()
        let script = "import json, sys\nfrom ansible.parsing.splitter import parse_kv\nprint(json.dumps(parse_kv(sys.argv[1])))"
        let expected = try Value.parseJSON(oracle.run("python", ["-c", script, input]))
        #expect(Value.dict(try ExtraVars.parse(input)) == expected)
    }
}
