import Foundation
import KeelBase
import KeelTemplate
import OrderedCollections
import Testing

/// Ansible's native typing: a lone `{{ expression }}` keeps its type; anything else is text.
@Suite struct NativeTypingTests {
    let engine = TemplateEngine()
    let context = DictionaryContext(["l": [1, "a"], "n": 7, "d": ["k": true]])

    func value(_ s: String) throws -> Value { try engine.renderValue(s, context: context, origin: nil) }

    @Test func aListStaysAList() throws { #expect(try value("{{ l }}") == [1, "a"]) }
    @Test func anIntStaysAnInt() throws { #expect(try value("{{ n + 1 }}") == 8) }
    @Test func aDictStaysADict() throws { #expect(try value("{{ d }}") == ["k": true]) }
    @Test func aTupleBecomesAList() throws { #expect(try value("{{ (1, 2) }}") == [1, 2]) }
    @Test func whitespaceInsideTheBracesIsAllowed() throws { #expect(try value("{{n}}") == 7) }
    @Test func surroundingTextMakesAString() throws { #expect(try value("n={{ n }}") == "n=7") }
    @Test func twoExpressionsMakeAString() throws { #expect(try value("{{ n }}{{ n }}") == "77") }
    @Test func aStringWithoutTemplatesIsReturnedAsIs() throws { #expect(try value("plain {text}") == "plain {text}") }
    @Test func aStringResultStaysAString() throws { #expect(try value("{{ '5' }}") == "5") }
    @Test func aConditionalAroundOneExpressionKeepsItsType() throws { #expect(try value("{% if n %}{{ l }}{% endif %}") == [1, "a"]) }
    @Test func noOutputAtAllIsNull() throws { #expect(try value("{% if false %}x{% endif %}") == .null) }
    @Test func noneNodesAreDroppedBeforeCounting() throws { #expect(try value("{{ none }}{{ n }}") == 7) }
}

@Suite struct EngineAPITests {
    let context = DictionaryContext(["n": 7, "xs": ["b", "a"]])

    @Test func bareExpressionsEvaluateToNativeValues() throws {
        let engine = TemplateEngine()
        #expect(try engine.evaluate(expression: "n > 3 and xs | length == 2", context: context, origin: nil) == true)
        #expect(try engine.evaluate(expression: "xs | sort", context: context, origin: nil) == ["a", "b"])
    }

    @Test func registeredFiltersTestsAndFunctionsAreCallable() throws {
        let engine = TemplateEngine()
        engine.registerFilter("shout") { v, args, kwargs in
            .string((v.stringValue ?? "").uppercased() + (kwargs["mark"]?.stringValue ?? "!"))
        }
        engine.registerTest("seven") { v, _ in v == 7 }
        engine.registerFunction("lookup") { args, _ in .string("looked up \(args.first?.stringValue ?? "")") }
        let out = try engine.render("{{ 'hi' | shout(mark='?') }} {{ n is seven }} {{ lookup('env', 'HOME') }}", context: context, origin: nil)
        #expect(out == "HI? True looked up env")
    }

    @Test func noneOutputPrintsNothingAsAnsibleDoes() throws {
        let out = try TemplateEngine().render("x {{ none }} y {{ [none] }} {{ (1, 2) }}", context: context, origin: nil)
        #expect(out == "x  y [None] [1, 2]")
    }

    @Test func containsTemplateSpotsAllThreeOpeners() {
        #expect(TemplateEngine.containsTemplate("a {{ b }}"))
        #expect(TemplateEngine.containsTemplate("{% if %}"))
        #expect(TemplateEngine.containsTemplate("{# c #}"))
        #expect(!TemplateEngine.containsTemplate("{ plain }"))
    }

    @Test func trailingNewlinesAreKeptAsAnsibleKeepsThem() throws {
        let engine = TemplateEngine()
        #expect(try engine.render("{{ n }}\n", context: context, origin: nil) == "7\n")
        #expect(try engine.render("{% if n %}x{% endif %}\n", context: context, origin: nil) == "x\n")
    }

    @Test func lstripBlocksIsAnOption() throws {
        let engine = TemplateEngine(options: TemplateOptions(trimBlocks: true, lstripBlocks: true))
        #expect(try engine.render("  {% if n %}\nx\n  {% endif %}\n", context: context, origin: nil) == "x\n")
    }

    @Test func contextLookupErrorsPropagate() {
        struct Failing: TemplateContext {
            func lookup(_ name: String) throws -> Value? { throw KeelError("cannot template \(name)") }
        }
        #expect(throws: KeelError.self) { try TemplateEngine().render("{{ a }}", context: Failing(), origin: nil) }
    }

    @Test func oneEngineRendersConcurrentlyForManyHosts() async throws {
        let engine = TemplateEngine()
        let results = try await withThrowingTaskGroup(of: String.self) { group in
            for host in 0..<64 {
                group.addTask {
                    let ctx = DictionaryContext(["host": .string("h\(host)"), "n": .int(host)])
                    return try engine.render("{% for i in range(3) %}{{ host }}-{{ n * i }};{% endfor %}", context: ctx, origin: nil)
                }
            }
            var all: [String] = []
            for try await r in group { all.append(r) }
            return all
        }
        #expect(results.count == 64)
        #expect(results.contains("h5-0;h5-5;h5-10;"))
    }
}

/// The engine keeps parsed templates by their text: by its bytes, since Swift's String equality takes
/// canonically equivalent spellings ("caf\u{e9}", "cafe\u{301}") for equal and their output differs.
@Suite struct ParsedTemplateCacheTests {
    @Test func canonicallyEquivalentSpellingsAreTwoTemplates() throws {
        let engine = TemplateEngine()
        let context = DictionaryContext(["n": 7])
        let composed = "caf\u{e9} {{ n }}", decomposed = "cafe\u{301} {{ n }}"
        #expect(composed == decomposed)   // what made the cache hand out the other spelling's text
        for _ in 0..<2 {
            #expect(Array(try engine.render(composed, context: context, origin: nil).utf8) == Array("caf\u{e9} 7".utf8))
            #expect(Array(try engine.render(decomposed, context: context, origin: nil).utf8) == Array("cafe\u{301} 7".utf8))
        }
    }
}
