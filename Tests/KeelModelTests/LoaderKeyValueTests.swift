import Foundation
import Testing
import KeelBase
import OrderedCollections
@testable import KeelModel

/// `k=v` argument strings, split as Ansible's parse_kv does.
@Suite struct LoaderKeyValueTests {
    func parse(_ text: String, checkRaw: Bool = false) throws -> OrderedDictionary<String, Value> {
        try KeyValueArguments.parse(text, checkRaw: checkRaw)
    }

    @Test func keyValueWordsBecomeArguments() throws {
        #expect(try parse("path=/x state=directory mode=0755") == ["path": "/x", "state": "directory", "mode": "0755"])
    }

    @Test func quotedValuesLoseOneLevelOfQuotes() throws {
        #expect(try parse(#"a=1 b="two words" c='x'"#) == ["a": "1", "b": "two words", "c": "x"])
    }

    @Test func commandLikeModulesKeepUnknownKeyValuesInTheCommand() throws {
        #expect(try parse("echo a=b chdir=/tmp", checkRaw: true) == ["chdir": "/tmp", "_raw_params": "echo a=b"])
    }

    @Test func extraSpacesInTheCommandArePreserved() throws {
        #expect(try parse("echo   hi  creates=/x", checkRaw: true) == ["creates": "/x", "_raw_params": "echo   hi "])
    }

    @Test func jinjaBlocksAreOneWord() throws {
        #expect(try parse("echo {{ a == b }} x=1", checkRaw: true) == ["_raw_params": "echo {{ a == b }} x=1"])
    }

    @Test func escapedEqualsIsNotASeparator() throws {
        #expect(try parse(#"echo a\=b"#, checkRaw: true) == ["_raw_params": "echo a=b"])
    }

    @Test func unbalancedQuotesAreAnError() {
        #expect(throws: KeyValueArguments.SplitError.self) { try parse(#"msg="unterminated"#) }
    }

    /// Compares with ansible-core's own parse_kv over a corpus of argument strings.
    @Test func matchesAnsibleParseKV() throws {
        let corpus = [
            "echo hi chdir=/tmp", "echo   hi  creates=/x", #"a=1 b="two words" c='x'"#, #"msg="a=b""#,
            "echo {{ a == b }} x=1", "path=/x state=directory mode=0755", #"echo a\=b"#, #"x="a\nb""#,
            #"echo "quoted  spaces" removes=/y"#, "msg={{ 'a b' | upper }} var=x", "cmd=ls -l", "a= b",
            #"name='{{ item }}' state=present"#, "echo 'it''s' executable=/bin/bash", "one\ntwo k=v",
            "set -e\nfor x in a b; do\n  echo $x\ndone\n", "if true; then\n    echo 'a  b'\nfi\nchdir=/tmp",
            "echo \"{{ x }}\" > /tmp/{{ y }}.txt", "a=1  b=2", "  leading k=v", "echo {% if a %}x{% endif %} k=v",
        ]
        let python = try oraclePython()
        let script = """
        import json, sys
        from ansible.parsing.splitter import parse_kv
        cases = json.load(sys.stdin)
        print(json.dumps([[parse_kv(c, check_raw=True), parse_kv(c)] for c in cases]))
        """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script]
        let input = Pipe(), output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        input.fileHandleForWriting.write(Value.list(corpus.map(Value.string)).jsonString().data(using: .utf8)!)
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let expected = try #require(try Value.parseJSON(String(decoding: data, as: UTF8.self)).listValue)
        #expect(expected.count == corpus.count)
        for (text, pair) in zip(corpus, expected) {
            #expect(Value.dict(try parse(text, checkRaw: true)) == pair.listValue?[0], "check_raw: \(text)")
            #expect(Value.dict(try parse(text)) == pair.listValue?[1], "\(text)")
        }
    }

    func oraclePython() throws -> String {
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        let python = venv + "/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw KeelError("the Ansible oracle is missing at \(python); run: bash scripts/python-oracles.sh")
        }
        return python
    }
}
