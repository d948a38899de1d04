import Testing
@testable import KeelBase

@Suite struct ValueTests {
    @Test func jsonRoundTripKeepsKeyOrder() throws {
        let text = #"{"zeta":1,"alpha":[true,null,2.5,"x\u00e9"],"mid":{"b":1,"a":2}}"#
        let value = try Value.parseJSON(text)
        #expect(value.dictValue.map { Array($0.keys) } == ["zeta", "alpha", "mid"])
        #expect(value.jsonString() == text)
    }

    @Test func truthinessFollowsPython() {
        #expect(!Value.string("").isTruthy)
        #expect(Value.string("0").isTruthy)
        #expect(!Value.int(0).isTruthy)
        #expect(!Value.list([]).isTruthy)
        #expect(!Value.null.isTruthy)
    }

    @Test func invalidJSONNamesWhatWasExpected() {
        #expect(throws: KeelError.self) { try Value.parseJSON("{\"a\" 1}") }
    }

    @Test func suggestionFindsCloseTypos() {
        #expect(Suggestion.closest(to: "lineinfle", among: ["lineinfile", "blockinfile", "file"]) == "lineinfile")
        #expect(Suggestion.closest(to: "zzzzzz", among: ["file"]) == nil)
    }

    @Test func errorDescriptionShowsLocationExpectedAndFound() {
        let e = KeelError("unknown key", at: SourceLocation(file: "site.yml", line: 3, column: 5),
                          expected: "a task keyword", found: "'whn'", suggestion: "when")
        #expect(e.description == "site.yml:3:5: error: unknown key\n  expected: a task keyword\n  found: 'whn'\n  did you mean 'when'?")
    }
}
