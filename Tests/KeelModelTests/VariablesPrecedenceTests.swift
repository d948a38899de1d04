import Foundation
import KeelBase
import KeelModel
import OrderedCollections
import Testing

@Suite("Variable precedence")
struct VariablesPrecedenceTests {
    @Test("levels are ordered as Ansible's documented list, extra vars last")
    func levelOrder() {
        #expect(VariableLevel.allCases.first == .roleDefaults)
        #expect(VariableLevel.allCases.last == .extraVars)
        #expect(VariableLevel.allCases.map(\.ansibleRank) == [2, 3, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22])
    }

    @Test("a higher level wins whatever the order levels were set in")
    func higherLevelWins() {
        var precedence = VariablePrecedence()
        precedence.set(.extraVars, ["x": "extra"])
        precedence.set(.playVars, ["x": "play", "y": "play"])
        precedence.set(.roleDefaults, ["x": "default", "y": "default", "z": "default"])
        #expect(precedence.merged() == ["x": "extra", "y": "play", "z": "default"])
        #expect(precedence.level(of: "y") == .playVars)
        #expect(precedence["x"] == "extra")
    }

    @Test("hash_behaviour=replace: a dict at a higher level replaces the whole dict")
    func dictsAreReplaced() {
        var precedence = VariablePrecedence()
        precedence.set(.roleDefaults, ["cfg": ["a": 1, "b": 2]])
        precedence.set(.taskVars, ["cfg": ["b": 3]])
        #expect(precedence.merged()["cfg"] == ["b": 3])
    }

    @Test("adding to a level replaces its keys; setting a level replaces the level")
    func addAndSet() {
        var precedence = VariablePrecedence()
        precedence.add(.playVars, ["a": 1, "b": 1])
        precedence.add(.playVars, ["b": 2])
        #expect(precedence.merged() == ["a": 1, "b": 2])
        precedence.set(.playVars, ["c": 3])
        #expect(precedence.merged() == ["c": 3])
    }

    static let playbookFixture = InventoryFixtures.path("playbook-adjacent")

    @Test("inventory levels: host_vars beat inventory host vars beat group_vars files beat inventory group vars")
    func inventoryLevels() throws {
        let inventory = try Inventory.load(sources: [Self.playbookFixture + "/inventory/hosts.ini"])
        #expect(inventory.hostVariables("w1")["level"] == "inventory-host_vars")
        #expect(inventory.hostVariables("w2")["level"] == "inventory-group_vars-web")
        let layers = inventory.variableLayers(of: "w2")
        #expect(layers.first { $0.level == .inventoryGroupVarsAll }?.variables["level"] == "inventory-all")
        #expect(layers.first { $0.level == .inventoryGroupVars }?.variables["level"] == "inventory-group")
        #expect(layers.first { $0.level == .inventoryGroupVarsFilesAll }?.variables["level"] == "inventory-group_vars-all")
    }

    @Test("playbook-adjacent group_vars/host_vars outrank the inventory's, as with ansible-inventory --playbook-dir",
          arguments: ["w1", "w2"])
    func playbookAdjacentMatchesAnsible(_ host: String) throws {
        let source = Self.playbookFixture + "/inventory/hosts.ini"
        let playbooks = Self.playbookFixture + "/playbooks"
        let oracle = try InventoryOracle.make()
        let expected = try Value.parseJSON(oracle.ansibleInventory(["-i", source, "--playbook-dir", playbooks, "--host", host]))
        let inventory = try Inventory.load(sources: [source])
        let actual = Value.dict(inventory.hostVariables(host, playbookAdjacent: [try inventory.loadAdjacentVariables(beside: playbooks)]))
        #expect(InventoryDataComparison.differences(expected, actual) == [])
    }

    @Test("a child group's vars beat its parent's; the host's own vars beat both")
    func groupDepth() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("ini-children/hosts.ini")])
        #expect(inventory.hostVariables("host1")["tier"] == 2)          // atlanta (depth 3) over southeast, usa
        #expect(inventory.hostVariables("host3")["tier"] == 1)          // raleigh has none: southeast
        #expect(inventory.hostVariables("host4")["tier"] == 0)          // northeast -> usa
        #expect(inventory.hostVariables("host1")["role"] == "atlanta-host")
        #expect(inventory.groupsInPrecedenceOrder(of: "host1") == ["usa", "southeast", "atlanta"])
    }

    @Test("ansible_group_priority breaks ties between groups of the same depth")
    func priority() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("group-priority/hosts.ini")])
        #expect(inventory.hostVariables("h1")["winner"] == "a")
        #expect(inventory.groupsInPrecedenceOrder(of: "h1") == ["b", "c", "a"])
    }

    @Test("magic variables: inventory_hostname(_short), group_names, groups, inventory_file/dir")
    func magicVariables() throws {
        let source = InventoryFixtures.path("ini-basic/hosts.ini")
        let inventory = try Inventory.load(sources: [source])
        let magic = inventory.magicVariables(of: "web01.example.com")
        #expect(magic["inventory_hostname"] == "web01.example.com")
        #expect(magic["inventory_hostname_short"] == "web01")
        #expect(magic["group_names"] == ["db", "web"])
        #expect(magic["groups"]?["ungrouped"] == ["lonely.example.com"])
        #expect(magic["inventory_file"] == .string(source))
        #expect(magic["inventory_dir"] == .string((source as NSString).deletingLastPathComponent))
        #expect(inventory.magicVariables(of: "10.0.0.5")["inventory_hostname_short"] == "10.0.0.5")
    }

    @Test("magic variables never leak into hostVariables")
    func noMagicInHostVariables() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("ini-basic/hosts.ini")])
        let vars = inventory.hostVariables("db01")
        #expect(vars["inventory_file"] == nil)
        #expect(vars["group_names"] == nil)
        #expect(vars["ansible_host"] == "192.168.1.10")
    }
}

@Suite("Variable precedence from an inventory")
struct VariablesInventoryPrecedenceTests {
    @Test("extra vars beat every inventory level")
    func extraVarsWin() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("playbook-adjacent/inventory/hosts.ini")])
        let precedence = inventory.precedence(for: "w1", extraVars: try ExtraVars.parse(["level=cli"]))
        #expect(precedence["level"] == "cli")
        #expect(precedence.level(of: "level") == .extraVars)
        #expect(precedence.level(of: "web_file") == .inventoryGroupVarsFiles)
    }

    @Test("an engine level slots in by rank: play vars beat host_vars, lose to extra vars")
    func engineLevels() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("playbook-adjacent/inventory/hosts.ini")])
        var precedence = inventory.precedence(for: "w1")
        precedence.set(.playVars, ["level": "play"])
        #expect(precedence["level"] == "play")
        precedence.set(.roleDefaults, ["level": "default", "only_default": 1])
        #expect(precedence["level"] == "play")
        #expect(precedence["only_default"] == 1)
    }
}
