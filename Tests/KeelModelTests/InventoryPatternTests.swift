import Foundation
import KeelBase
import KeelModel
import Testing

/// Host patterns, each form checked against `ansible PATTERN --list-hosts` (order included).
@Suite("Host patterns match Ansible's")
struct InventoryPatternTests {
    static let fixture = InventoryFixtures.path("patterns/hosts.ini")

    static let patterns = [
        "all", "*", "web", "web01", "web:db", "web,db", "web:&db", "prod:!db", "web:!web03", "!web", "&db",
        "web*", "*01", "web0?", "~web\\d+", "~(web|db)0[12]", "web[0]", "web[-1]", "web[1:2]", "web[2:]",
        "prod[0:2]", "db,web[0]", "ungrouped", "lb", "10.1.2.3", "*.example.com", "web:db:!web0*", "staging:&~.*db.*",
    ]

    @Test("pattern", arguments: patterns)
    func patternMatchesAnsible(_ pattern: String) throws {
        let oracle = try InventoryOracle.make()
        let expected = try oracle.listHosts(inventory: [Self.fixture], pattern: pattern)
        #expect(try Inventory.load(sources: [Self.fixture]).select(pattern: pattern) == expected)
    }

    static let limits: [(pattern: String, limit: String)] = [
        ("all", "web"), ("prod", "!db"), ("web", "web[1:2]"), ("web", "web0[1:2]"), ("all", "db:&prod"), ("web:db", "~.*0[13]"),
    ]

    @Test("pattern narrowed by --limit", arguments: limits.indices)
    func limitMatchesAnsible(_ index: Int) throws {
        let (pattern, limit) = Self.limits[index]
        let oracle = try InventoryOracle.make()
        let expected = try oracle.listHosts(inventory: [Self.fixture], pattern: pattern, limit: limit)
        #expect(try Inventory.load(sources: [Self.fixture]).select(pattern: pattern, limit: limit) == expected)
    }

    @Test("--limit @file reads one host name per line")
    func limitFromFile() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("keel-limit-\(UUID().uuidString)")
        try "web02\n\n  db01  \nnot-a-host\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let oracle = try InventoryOracle.make()
        let expected = try oracle.listHosts(inventory: [Self.fixture], pattern: "all", limit: "@" + file.path)
        let actual = try Inventory.load(sources: [Self.fixture]).select(pattern: "all", limit: "@" + file.path)
        #expect(actual == expected)
        #expect(actual == ["web02", "db01"])
    }

    @Test("a missing @file limit is an error naming the file")
    func missingLimitFile() throws {
        let inventory = try Inventory.load(sources: [Self.fixture])
        #expect(throws: KeelError.self) { try inventory.select(pattern: "all", limit: "@/nonexistent/limit-file") }
    }

    @Test("a pattern matching nothing selects no hosts (not an error)")
    func unmatchedPatternIsEmpty() throws {
        #expect(try Inventory.load(sources: [Self.fixture]).select(pattern: "nosuchgroup") == [])
    }

    @Test("localhost not in the inventory is the implicit localhost")
    func implicitLocalhost() throws {
        let inventory = try Inventory.load(sources: [Self.fixture])
        #expect(try inventory.select(pattern: "localhost") == ["localhost"])
        #expect(try inventory.select(pattern: "all") .contains("localhost") == false)
        #expect(inventory.hostVariables("localhost")["ansible_connection"] == "local")
    }

    @Test("an out-of-range index is an error")
    func indexOutOfRange() throws {
        let inventory = try Inventory.load(sources: [Self.fixture])
        #expect(throws: KeelError.self) { try inventory.select(pattern: "web[9]") }
    }

    @Test("splitting: commas first, colons otherwise, ranges and IPv6 kept whole")
    func splitting() {
        #expect(Inventory.splitPattern("a:b:&c") == ["a", "b", "&c"])
        #expect(Inventory.splitPattern("a, b ,c") == ["a", "b", "c"])
        #expect(Inventory.splitPattern("web[0:2]") == ["web[0:2]"])
        #expect(Inventory.splitPattern("fe80::1") == ["fe80::1"])
    }
}
