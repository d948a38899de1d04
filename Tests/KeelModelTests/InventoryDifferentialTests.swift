import Foundation
import KeelBase
import KeelModel
import Testing

/// Keel's `--list` against the real `ansible-inventory --list`, compared as data (host order within each
/// group list matters, key order does not).
@Suite("Inventory --list matches ansible-inventory")
struct InventoryDifferentialTests {
    static let cases: [(name: String, sources: [String])] = [
        ("INI groups, ungrouped hosts, ports, comments", ["ini-basic/hosts.ini"]),
        ("INI children, nested children, vars by depth", ["ini-children/hosts.ini"]),
        ("INI ranges: leading zeros, letters, steps, several per name", ["ini-ranges/hosts.ini"]),
        ("INI values typed as Python literals", ["ini-typed/hosts.ini"]),
        ("YAML all with hosts, vars and children", ["yaml-basic/hosts.yml"]),
        ("YAML nested children, ranges and ports in keys", ["yaml-nested/hosts.yaml"]),
        ("group_vars and host_vars as files", ["vars-files/hosts.ini"]),
        ("group_vars and host_vars as directories", ["vars-dirs/hosts.yml"]),
        ("a directory of inventory files", ["inventory-dir"]),
        ("ansible_group_priority between sibling groups", ["group-priority/hosts.ini"]),
        ("ungrouped and hosts directly under all", ["ungrouped/hosts.yml"]),
        ("INI children and vars declared before their group", ["pending-declarations/hosts.ini"]),
        ("two -i sources merged", ["multi-source/first.ini", "multi-source/second.yml"]),
        ("format detection without extensions", ["detection"]),
        ("which group_vars file wins: no extension, .yml, .yaml, .json", ["vars-file-choice/hosts.ini"]),
        ("all:vars in INI with group_vars and host_vars files", ["playbook-adjacent/inventory/hosts.ini"]),
        ("patterns fixture: IPs, dashes, ungrouped", ["patterns/hosts.ini"]),
        ("INI hosts leave ungrouped once in a group; a dashed group name", ["ini-ungrouped-moves/hosts.ini"]),
        ("INI edge cases: odd literals, unicode, priorities, [ungrouped], all:vars", ["ini-edge/hosts.ini"]),
        ("YAML edge cases: IPv6 with port, ranges with ports, string hosts, dates, octal", ["yaml-edge/hosts.yml"]),
    ]

    @Test("--list", arguments: cases.map(\.name))
    func listMatchesAnsible(_ name: String) throws {
        let sources = Self.cases.first { $0.name == name }!.sources.map(InventoryFixtures.path)
        let oracle = try InventoryOracle.make()
        let expected = try Value.parseJSON(oracle.ansibleInventory(sources.flatMap { ["-i", $0] } + ["--list"]))
        let actual = try Inventory.load(sources: sources).listing()
        #expect(InventoryDataComparison.differences(expected, actual) == [])
    }

    static let limits = ["web", "db:&web", "all:!db", "web[0:1]", "~web0[12].*", "*.example.com", "ungrouped", "lonely.example.com,db01"]

    @Test("--list --limit", arguments: limits)
    func limitedListMatchesAnsible(_ limit: String) throws {
        let source = InventoryFixtures.path("ini-basic/hosts.ini")
        let oracle = try InventoryOracle.make()
        let expected = try Value.parseJSON(oracle.ansibleInventory(["-i", source, "--list", "--limit", limit]))
        let actual = try Inventory.load(sources: [source]).listing(limit: limit)
        #expect(InventoryDataComparison.differences(expected, actual) == [])
    }

    @Test("--graph prints the same tree", arguments: ["ini-children/hosts.ini", "yaml-nested/hosts.yaml", "inventory-dir"])
    func graphMatchesAnsible(_ fixture: String) throws {
        let source = InventoryFixtures.path(fixture)
        let oracle = try InventoryOracle.make()
        let expected = try oracle.ansibleInventory(["-i", source, "--graph"]).trimmingCharacters(in: .newlines)
        #expect(try Inventory.load(sources: [source]).graph() == expected)
    }

    @Test("--graph from a group")
    func graphFromGroupMatchesAnsible() throws {
        let source = InventoryFixtures.path("ini-children/hosts.ini")
        let oracle = try InventoryOracle.make()
        let expected = try oracle.ansibleInventory(["-i", source, "--graph", "southeast"]).trimmingCharacters(in: .newlines)
        #expect(try Inventory.load(sources: [source]).graph(from: "southeast") == expected)
    }

    @Test("--host prints one host's merged variables", arguments: ["host1", "host2", "host4"])
    func hostMatchesAnsible(_ host: String) throws {
        let source = InventoryFixtures.path("ini-children/hosts.ini")
        let oracle = try InventoryOracle.make()
        let expected = try Value.parseJSON(oracle.ansibleInventory(["-i", source, "--host", host]))
        #expect(InventoryDataComparison.differences(expected, try Inventory.load(sources: [source]).hostListing(host)) == [])
    }
}

/// Structural comparison: dict key order ignored, list order kept; returns readable paths of differences.
enum InventoryDataComparison {
    static func differences(_ expected: Value, _ actual: Value, path: String = "$") -> [String] {
        switch (expected, actual) {
        case (.dict(let e), .dict(let a)):
            var result: [String] = []
            for key in Set(e.keys).union(a.keys).sorted() {
                switch (e[key], a[key]) {
                case (let ev?, let av?): result += differences(ev, av, path: "\(path).\(key)")
                case (let ev?, nil): result.append("\(path).\(key): missing in Keel (Ansible has \(ev.jsonString()))")
                case (nil, let av?): result.append("\(path).\(key): extra in Keel (\(av.jsonString()))")
                default: break
                }
            }
            return result
        case (.double(let e), .double(let a)) where e == a: return []
        default:
            return expected == actual ? [] : ["\(path): Ansible \(expected.jsonString()), Keel \(actual.jsonString())"]
        }
    }
}
