import Foundation
import KeelBase
import KeelTemplate
import Testing

/// lookup() against query(): joining, wantlist, errors=, unknown names, error locations.
@Suite struct LookupCallTests {
    @Test func lookupJoinsSeveralStringsWithCommas() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('items', ['a', 'b'])") == "a,b")
        #expect(try f.value("lookup('items', ['a', 'b'], wantlist=True)") == ["a", "b"])
    }

    @Test func queryAndQAlwaysReturnLists() throws {
        let f = try LookupFixture()
        #expect(try f.value("query('items', 'a')") == ["a"])
        #expect(try f.value("q('items', 'a', 'b')") == ["a", "b"])
    }

    @Test func aSingleResultKeepsItsTypeAndNonStringsAreNotJoined() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('items', [1])") == 1)
        #expect(try f.value("lookup('items', [1, 2])") == [1, 2])
        #expect(try f.value("lookup('items', [])") == [])
    }

    @Test func errorsIgnoreGivesNoneOrAnEmptyList() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('file', 'missing.txt', errors='ignore')") == .null)
        #expect(try f.value("query('file', 'missing.txt', errors='warn')") == [])
        #expect(throws: KeelError.self) { try f.value("lookup('file', 'missing.txt', errors='strict')") }
        #expect(throws: KeelError.self) { try f.value("lookup('file', 'x', errors='loud')") }
    }

    @Test func aFailingLookupIsLocatedAtTheTemplate() throws {
        let f = try LookupFixture()
        do {
            _ = try f.value("lookup('file', 'missing.txt')")
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.location?.file == "site.yml")
            #expect(error.location?.line == 3)
            #expect(error.message.contains("file"))
            #expect(error.expected?.contains("roles/web/files/missing.txt") == true)
        }
    }

    @Test func anUnknownLookupIsRefusedWithASuggestion() throws {
        let f = try LookupFixture()
        do {
            _ = try f.value("lookup('fileglobb', '*', errors='ignore')")
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.message.contains("'fileglobb' not found"))
            #expect(error.suggestion?.contains("fileglob") == true)
        }
    }

    @Test func collectionNamesAreAccepted() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('ansible.builtin.items', ['x'])") == "x")
        #expect(f.engine.hasLookup("ansible.builtin.password"))
        #expect(!f.engine.hasLookup("community.general.random_string"))
    }

    @Test func anUnknownOptionIsAnError() throws {
        let f = try LookupFixture(files: ["a.txt": "a"])
        #expect(throws: KeelError.self) { try f.value("lookup('file', 'a.txt', strip=True)") }
    }
}

/// Unknown lookup names are found when the template is checked, before anything runs.
@Suite struct LookupNameCheckTests {
    @Test func anUnknownLiteralLookupNameFailsTheCheck() throws {
        let engine = TemplateEngine()
        do {
            try engine.check("x: {{ query('fileglobb', '*') }}", origin: SourceLocation(file: "site.yml", line: 4, column: 9))
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.message == "no lookup plugin named 'fileglobb'")
            #expect(error.suggestion?.contains("fileglob") == true)
            #expect(error.location == SourceLocation(file: "site.yml", line: 4, column: 15))
        }
        try engine.check("{{ lookup('ansible.builtin.env', 'HOME') }} {{ lookup(name) }}", origin: nil)
    }
}
