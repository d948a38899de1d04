import Testing
import KeelBase
@testable import KeelModel

@Suite struct YAMLLoaderTests {
    @Test func scalarsFollowYAML11AsAnsibleReadsThem() throws {
        let node = try #require(try YAMLLoader.load(string: """
            a: yes
            b: "yes"
            c: 0644
            d: 1_000
            e: ~
            f: 1.5
            g: 0x1f
            """, file: "t.yml"))
        #expect(node["a"]?.value == .bool(true))
        #expect(node["b"]?.value == .string("yes"))
        #expect(node["c"]?.value == .int(420))
        #expect(node["d"]?.value == .int(1000))
        #expect(node["e"]?.value == .null)
        #expect(node["f"]?.value == .double(1.5))
        #expect(node["g"]?.value == .int(31))
    }

    @Test func keysRememberTheirLocation() throws {
        let node = try #require(try YAMLLoader.load(string: "- name: x\n  file:\n    path: /tmp\n", file: "play.yml"))
        let task = try #require(node.items?.first)
        let file = try #require(task.pairs?.first(where: { $0.key == "file" }))
        #expect(file.keyLocation == SourceLocation(file: "play.yml", line: 2, column: 3))
        #expect(file.value["path"]?.location == SourceLocation(file: "play.yml", line: 3, column: 11))
    }

    @Test func mergeKeysAreApplied() throws {
        let node = try #require(try YAMLLoader.load(string: "base: &b {x: 1, y: 2}\nmine:\n  <<: *b\n  y: 3\n", file: "m.yml"))
        #expect(node["mine"]?.value == ["x": 1, "y": 3])
    }

    @Test func syntaxErrorsAreLocated() {
        do {
            _ = try YAMLLoader.load(string: "a: [1, 2\nb: 3\n", file: "bad.yml")
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.location?.file == "bad.yml")
            #expect(error.message.contains("invalid YAML"))
        } catch { Issue.record("unexpected \(error)") }
    }
}
