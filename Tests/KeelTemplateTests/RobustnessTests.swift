import KeelBase
import KeelTemplate
import Testing

/// Bad templates end in a located error, never in a crashed process.
@Suite struct RobustnessTests {
    let engine = TemplateEngine()

    @Test(arguments: [
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}",
        "{{ 'x' * 1000000000 }}",
        "{{ [1] * 1000000000 }}",
        "{{ range(10) | slice(0) }}",
        "{{ range(1000000) | list | length }}",
        "{% break %}",
        "{{ -9223372036854775807 - 1 | abs }}{{ (-9223372036854775807 - 1) // -1 }}x{{ 1e30 | int(-1) }}{{ undefined_thing }}",
    ])
    func hostileTemplatesFailCleanly(_ template: String) {
        #expect(throws: KeelError.self) { try engine.render(template, context: DictionaryContext([:]), origin: nil) }
    }

    @Test func floatsBeyond64BitIntegersFallBackToTheIntDefault() throws {
        #expect(try engine.render("{{ 1e300 | int(7) }}", context: DictionaryContext([:]), origin: nil) == "7")
    }
}
