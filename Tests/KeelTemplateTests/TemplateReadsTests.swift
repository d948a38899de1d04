import KeelBase
import KeelTemplate
import Testing

/// `TemplateEngine.reads`: the variables a template reads, from the parsed tree, for `keel check`.
@Suite struct TemplateReadsTests {
    let engine = TemplateEngine()

    func names(_ source: String, expression: Bool = false) throws -> [String] {
        try engine.reads(in: source, origin: nil, expression: expression).reads.map(\.name)
    }

    @Test func freeNamesAreReadInOrderOnceEach() throws {
        #expect(try names("{{ a }} {{ b.c[d] }} {{ a | upper }} {{ e if f else g }}") == ["a", "b", "d", "f", "e", "g"])
    }

    @Test func namesTheTemplateBindsAreNotRead() throws {
        let source = """
        {% set s = 1 %}{% for k, v in items %}{{ k }}{{ v }}{{ loop.index }}{% endfor %}
        {% macro m(p, q=dflt) %}{{ p }}{{ q }}{{ caller() }}{{ varargs }}{% endmacro %}
        {% with w = 2 %}{{ w }}{% endwith %}{% set ns = namespace(x=0) %}{% set ns.x = 1 %}
        {% import 'lib.j2' as lib %}{% from 'lib.j2' import f as g %}{{ lib.h() }}{{ g() }}{{ s }}{{ range(3) }}{{ lookup('env', 'HOME') }}
        """
        #expect(try names(source) == ["items"])
    }

    @Test func guardsAreReported() throws {
        let reads = try engine.reads(in: "a is defined and b.c is undefined or (d | default(1)) or (e.f | d(2)) or 'g' in vars",
                                     origin: nil, expression: true)
        #expect(reads.guarded == ["a", "b", "d", "e", "g"])
    }

    @Test func variablesHandedOnAsTheyAreAreNotRead() throws {
        #expect(try names("{{ m('Port', port) }}{{ x | default(y.z) }}{{ x is sameas w }}{{ m(a ~ b) }}") == ["m", "x", "a", "b"])
        // Assigned (a macro parameter's default, set, with) or naming a template: failing only when used.
        #expect(try names("{% macro f(p=d1) %}{% endmacro %}{% set s = d2 %}{% with w = d3 %}{% endwith %}{% include [d4, 'x.j2'] %}") == [])
    }

    @Test func blocksOfATemplateThatExtendsAnotherMayReadItsLoopVariables() throws {
        #expect(try names("{% extends 'base.j2' %}{% block row %}{{ item }}{% endblock %}") == [])
        #expect(try names("{% block row %}{{ item }}{% endblock %}") == ["item"])
    }

    @Test func variablesReadByComputedNamesAreFlagged() throws {
        #expect(try engine.reads(in: "{{ lookup('vars', 'x' ~ n) }}", origin: nil).readsByComputedName)
        #expect(try engine.reads(in: "{{ query('ansible.builtin.varnames', '^x') }}", origin: nil).readsByComputedName)
        #expect(try !engine.reads(in: "{{ lookup('file', 'x') }}", origin: nil).readsByComputedName)
    }

    @Test func positionsAreThoseOfTheNameInTheSource() throws {
        let origin = SourceLocation(file: "site.yml", line: 10, column: 7)
        let template = try engine.reads(in: "ab {{ x }}\n  {{ y }}", origin: origin)
        #expect(template.reads.map(\.location) == [SourceLocation(file: "site.yml", line: 10, column: 13),
                                                   SourceLocation(file: "site.yml", line: 11, column: 6)])
        let bare = try engine.reads(in: "a == 1", origin: origin, expression: true)
        #expect(bare.reads.map(\.location) == [origin])
    }
}
