import KeelBase
import KeelTemplate
import Testing

/// Errors point into the YAML file: the template's origin shifted by the line and column inside it.
@Suite struct ErrorLocationTests {
    let engine = TemplateEngine()
    let origin = SourceLocation(file: "site.yml", line: 10, column: 7)
    let context = DictionaryContext(["d": ["a": 1], "n": 7])

    func error(_ body: () throws -> Any) -> KeelError? {
        do { _ = try body(); return nil } catch let e as KeelError { return e } catch { return nil }
    }

    @Test func syntaxErrorOnALaterLineUsesTheTemplateColumn() {
        let e = error { try engine.render("ok\n{{  }}", context: context, origin: origin) }
        #expect(e?.location == SourceLocation(file: "site.yml", line: 11, column: 5))
    }

    @Test func syntaxErrorOnTheFirstLineIsShiftedByTheOriginColumn() {
        let e = error { try engine.render("{{ }}", context: context, origin: origin) }
        #expect(e?.location == SourceLocation(file: "site.yml", line: 10, column: 10))
    }

    @Test func columnsCountCharactersNotBytes() {
        let e = error { try engine.render("héé {{ }}", context: context, origin: origin) }
        #expect(e?.location == SourceLocation(file: "site.yml", line: 10, column: 14))
    }

    @Test func runtimeErrorInsideALoopPointsAtTheInnerTag() {
        let e = error { try engine.render("{% for i in [1] %}\n  x\n    {{ i.nope.deeper + 1 }}\n{% endfor %}", context: context, origin: origin) }
        #expect(e?.location == SourceLocation(file: "site.yml", line: 12, column: 5))
        #expect(e?.message == "'int object' has no attribute 'nope'")
    }

    @Test func syntaxErrorSaysWhatWasExpectedAndFound() {
        let e = error { try engine.render("{{ }}", context: context, origin: origin) }
        #expect(e?.message.contains("expected an expression, found '}}'") == true)
        #expect(e?.expected == "an expression")
        #expect(e?.found == "'}}'")
    }

    @Test func unclosedBlockNamesTheMissingTag() {
        let e = error { try engine.render("{% if n %}\nforever", context: context, origin: origin) }
        #expect(e?.message.contains("'endif'") == true)
    }

    @Test func runtimeErrorPointsAtTheTagThatFailed() {
        let e = error { try engine.render("a\n  {{ missing }}", context: context, origin: origin) }
        #expect(e?.location == SourceLocation(file: "site.yml", line: 11, column: 3))
        #expect(e?.message == "'missing' is undefined")
    }

    @Test func withoutAnOriginErrorsHaveNoLocation() {
        let e = error { try engine.render("{{ missing }}", context: context, origin: nil) }
        #expect(e != nil)
        #expect(e?.location == nil)
    }

    @Test func bareExpressionErrorsAreLocatedInsideTheExpression() {
        let e = error { try engine.evaluate(expression: "n >", context: context, origin: origin) }
        #expect(e?.location?.line == 10)
        #expect(e?.location?.column == 10)
    }

    @Test func checkReportsAnUnknownFilterWithASuggestion() {
        let e = error { try engine.check("{{ n | to_jsn }}", origin: origin) }
        #expect(e?.message == "no filter named 'to_jsn'")
        #expect(e?.suggestion == "to_json")
        #expect(e?.location == SourceLocation(file: "site.yml", line: 10, column: 14))
    }

    @Test func checkAcceptsAValidTemplateWithoutAContext() throws {
        try engine.check("{% for x in xs %}{{ x | upper }}{% endfor %}", origin: origin)
    }
}

/// StrictUndefined as Ansible: using an undefined value fails and names it; guards look without failing.
@Suite struct UndefinedTests {
    let engine = TemplateEngine()
    let context = DictionaryContext(["d": ["a": 1], "l": [1, 2]])

    func message(_ template: String) -> String? {
        do { _ = try engine.render(template, context: context, origin: nil); return nil } catch let e as KeelError { return e.message } catch { return nil }
    }

    @Test func undefinedVariableIsNamed() { #expect(message("{{ foo }}") == "'foo' is undefined") }
    @Test func missingAttributeIsNamed() { #expect(message("{{ d.missing }}") == "'dict object' has no attribute 'missing'") }
    @Test func missingListElementIsNamed() { #expect(message("{{ l[5] }}") == "list object has no element 5") }
    @Test func attributeOfAnUndefinedVariableNamesTheVariable() { #expect(message("{{ foo.bar }}") == "'foo' is undefined") }
    @Test func undefinedInAConditionFails() { #expect(message("{% if foo %}x{% endif %}") == "'foo' is undefined") }

    @Test func guardsDoNotFail() throws {
        let out = try engine.render("{{ foo | default('a') }}{{ foo is defined }}{{ foo.bar | d('b') }}{{ foo is undefined }}",
                                    context: context, origin: nil)
        #expect(out == "aFalsebTrue")
    }

    @Test func mandatoryNamesTheVariable() { #expect(message("{{ foo | mandatory }}") == "Mandatory variable 'foo' not defined.") }
}
