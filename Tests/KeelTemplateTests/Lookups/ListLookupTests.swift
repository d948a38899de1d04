import Foundation
import KeelBase
import KeelTemplate
import Testing

/// items, list, dict, indexed_items, together, nested, subelements, sequence: as lookups and as loops.
@Suite struct ListLookupTests {
    @Test func itemsFlattensOneLevelListDoesNot() throws {
        let f = try LookupFixture()
        #expect(try f.loop("items", [1, [2, [3]]]) == [1, 2, [3]])
        #expect(try f.loop("list", [1, [2, 3]]) == [1, [2, 3]])
        #expect(try f.loop("flattened", [1, [2, [3]]]) == [1, 2, 3])
    }

    @Test func dictGivesKeyValuePairs() throws {
        let f = try LookupFixture()
        #expect(try f.loop("dict", [["a": 1, "b": 2]]) == [["key": "a", "value": 1], ["key": "b", "value": 2]])
        #expect(throws: KeelError.self) { try f.loop("dict", ["not a dict"]) }
    }

    @Test func indexedItemsPairsIndexAndItem() throws {
        let f = try LookupFixture()
        #expect(try f.loop("indexed_items", ["a", "b"]) == [[0, "a"], [1, "b"]])
    }

    @Test func togetherZipsAndPadsWithNone() throws {
        let f = try LookupFixture()
        #expect(try f.loop("together", [["a", "b"], [1]]) == [["a", 1], ["b", .null]])
    }

    @Test func nestedCombinesEveryElement() throws {
        let f = try LookupFixture()
        #expect(try f.loop("nested", [["a", "b"], [1, 2]]) == [["a", 1], ["a", 2], ["b", 1], ["b", 2]])
        #expect(try f.loop("nested", [["a"], [1], ["x", "y"]]) == [["a", 1, "x"], ["a", 1, "y"]])
    }

    @Test func subelementsPairsRecordsWithTheirListsElements() throws {
        let f = try LookupFixture()
        let users: Value = [["name": "alice", "keys": ["k1", "k2"]], ["name": "bob", "keys": []], ["name": "carol"]]
        #expect(try f.loop("subelements", [users, "keys", ["skip_missing": true]]) == [[["name": "alice"], "k1"], [["name": "alice"], "k2"]])
        #expect(throws: KeelError.self) { try f.loop("subelements", [users, "keys"]) }
        let nested: Value = [["name": "a", "auth": ["keys": ["x"]]]]
        #expect(try f.loop("subelements", [nested, "auth.keys"]) == [[["name": "a", "auth": [:]], "x"]])
    }

    @Test func randomChoicePicksOneOfTheTerms() throws {
        let f = try LookupFixture()
        for _ in 0..<5 { #expect(["a", "b", "c"].contains(try f.value("lookup('random_choice', 'a', 'b', 'c')"))) }
        #expect(try f.value("query('random_choice')") == [])
    }

    @Test func sequenceKeyValueForm() throws {
        let f = try LookupFixture()
        #expect(try f.loop("sequence", ["start=1 end=3"]) == ["1", "2", "3"])
        #expect(try f.loop("sequence", ["start=0 end=4 stride=2 format=web%02d"]) == ["web00", "web02", "web04"])
        #expect(try f.loop("sequence", ["count=3"]) == ["1", "2", "3"])
        #expect(try f.loop("sequence", ["start=1 count=3 stride=2"]) == ["1", "3", "5"])
        #expect(try f.loop("sequence", ["start=3 end=1 stride=-1"]) == ["3", "2", "1"])
        #expect(try f.loop("sequence", ["count=0"]) == [])
    }

    @Test func sequenceShortcutForm() throws {
        let f = try LookupFixture()
        #expect(try f.loop("sequence", ["4"]) == ["1", "2", "3", "4"])
        #expect(try f.loop("sequence", ["2-10/4"]) == ["2", "6", "10"])
        #expect(try f.loop("sequence", ["4-6:host%02d"]) == ["host04", "host05", "host06"])
        #expect(try f.value("lookup('sequence', 'start=1 end=2')") == "1,2")
        #expect(try f.value("query('sequence', start=5, end=6)") == ["5", "6"])
    }

    @Test func sequenceRefusesWhatAnsibleRefuses() throws {
        let f = try LookupFixture()
        #expect(throws: KeelError.self) { try f.loop("sequence", ["start=1"]) }
        #expect(throws: KeelError.self) { try f.loop("sequence", ["end=3 count=2"]) }
        #expect(throws: KeelError.self) { try f.loop("sequence", ["start=5 end=1"]) }
        #expect(throws: KeelError.self) { try f.loop("sequence", ["end=3 format=%d%d"]) }
        #expect(throws: KeelError.self) { try f.loop("sequence", ["end=3 colour=red"]) }
    }
}
