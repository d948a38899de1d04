import Foundation
import KeelBase
@testable import KeelModel
import OrderedCollections
import Testing

@Suite("Inventory building blocks")
struct InventoryParsingTests {
    @Test("ranges keep leading zeros")
    func leadingZeros() throws {
        #expect(try HostRange.expand("web[08:11].x") == ["web08.x", "web09.x", "web10.x", "web11.x"])
    }

    @Test("letter ranges and steps")
    func lettersAndSteps() throws {
        #expect(try HostRange.expand("db-[a:c]") == ["db-a", "db-b", "db-c"])
        #expect(try HostRange.expand("n[0:10:5]") == ["n0", "n5", "n10"])
        #expect(try HostRange.expand("x[a:e:2]") == ["xa", "xc", "xe"])
    }

    @Test("several ranges multiply out left to right")
    func multipleRanges() throws {
        #expect(try HostRange.expand("r[1:2]u[1:2]") == ["r1u1", "r1u2", "r2u1", "r2u2"])
    }

    @Test("an empty begin means 0")
    func emptyBegin() throws {
        #expect(try HostRange.expand("h[:2]") == ["h0", "h1", "h2"])
    }

    @Test("host:port and [ipv6]:port split; IPv6 without brackets stays whole")
    func addresses() {
        #expect(HostAddress.split("web:2222") == ("web", 2222))
        #expect(HostAddress.split("[::1]:22") == ("::1", 22))
        #expect(HostAddress.split("fe80::1") == ("fe80::1", nil))
        #expect(HostAddress.split("web[1:3]:22") == ("web[1:3]", 22))
        #expect(HostAddress.split("10.0.0.1:8022") == ("10.0.0.1", 8022))
    }

    @Test("Python literals: numbers, strings, constants, containers")
    func pythonLiterals() {
        #expect(PythonLiteral.evaluate("42") == 42)
        #expect(PythonLiteral.evaluate("-7") == -7)
        #expect(PythonLiteral.evaluate("1_000") == 1000)
        #expect(PythonLiteral.evaluate("0x1F") == 31)
        #expect(PythonLiteral.evaluate("1e3") == 1000.0)
        #expect(PythonLiteral.evaluate(".5") == 0.5)
        #expect(PythonLiteral.evaluate("True") == true)
        #expect(PythonLiteral.evaluate("None") == .null)
        #expect(PythonLiteral.evaluate("'a' \"b\"") == "ab")
        #expect(PythonLiteral.evaluate("[1, 'two']") == [1, "two"])
        #expect(PythonLiteral.evaluate("{'a': (1, 2)}") == ["a": [1, 2]])
        #expect(PythonLiteral.evaluate("5 # comment") == 5)
    }

    @Test("what Python refuses stays text")
    func notLiterals() {
        for text in ["0644", "yes", "true", "1+2", "hello world", "", "[1, 2", "a.b", "x # y"] {
            #expect(PythonLiteral.evaluate(text) == .string(text))
        }
    }

    @Test("shell words: quotes group, '#' starts a comment even inside a word")
    func shellWords() throws {
        #expect(try ShellWords.split("h a=\"x y\" b='z' c=d#e f=g", comments: true) == ["h", "a=x y", "b=z", "c=d"])
        #expect(try ShellWords.split("h a=x\\ y", comments: true) == ["h", "a=x y"])
    }

    @Test("INI and YAML files without extension are told apart by content")
    func detection() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("detection")])
        #expect(inventory.groupNames(of: "n1") == ["noext"])
        #expect(inventory.groupNames(of: "y2") == ["yaml_noext"])
        #expect(inventory.hostVariables("y2")["k"] == "v")
    }

    @Test("a comma-separated host list becomes ungrouped hosts")
    func hostList() throws {
        let inventory = try Inventory.load(sources: ["a.example.com,b:2222,"])
        #expect(inventory.hostNames == ["a.example.com", "b"])
        #expect(inventory.groupNames(of: "b") == ["ungrouped"])
        #expect(inventory.hostVariables("b")["ansible_port"] == 2222)
    }

    @Test("the groups magic variable lists children's hosts breadth first")
    func groupsVariable() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("ini-children/hosts.ini")])
        // usa -> [southeast, northeast]: northeast's own host comes before the grandchildren's.
        #expect(inventory.groups["usa"] == ["host4", "host1", "host2", "host3"])
        #expect(inventory.groups["southeast"] == ["host1", "host2", "host3"])
        #expect(inventory.groups["all"]?.count == 4)
        #expect(inventory.groups["ungrouped"] == [])
    }

    @Test("group names that are not valid variable names load, with a warning")
    func invalidGroupNameWarns() throws {
        let inventory = try Inventory.load(sources: [InventoryFixtures.path("ini-ungrouped-moves/hosts.ini")])
        #expect(inventory.groupNames(of: "db1") == ["db-servers"])
        #expect(inventory.warnings.contains { $0.contains("'db-servers'") })
    }
}
