import Foundation
import KeelBase
import KeelTemplate
import Testing

/// Templates that name other templates: what the loader finds, and where errors inside them point.
/// (What they render is the corpus's job: Tests/KeelTemplateTests/Corpus/inheritance.json.)
@Suite struct TemplateLoadingTests {
    let engine = TemplateEngine(options: .ansibleTemplateFile)
    let origin = SourceLocation(file: "/roles/web/templates/site.j2", line: 1, column: 1)
    let context = DictionaryContext(["n": 7])

    func render(_ source: String, _ templates: [String: String]) throws -> String {
        try engine.render(source, context: context, origin: origin, options: engine.options, loader: DictionaryTemplateLoader(templates))
    }

    func error(_ body: () throws -> Any) -> KeelError? {
        do { _ = try body(); return nil } catch let e as KeelError { return e } catch { return nil }
    }

    @Test func aRuntimeErrorInAnIncludedTemplatePointsIntoThatTemplate() {
        let e = error { try render("a\n{% include 'part.j2' %}", ["part.j2": "ok\n\n  {{ missing + 1 }}\n"]) }
        #expect(e?.location == SourceLocation(file: "part.j2", line: 3, column: 3))
        #expect(e?.message == "'missing' is undefined")
    }

    @Test func aSyntaxErrorInAnExtendedTemplatePointsIntoThatTemplate() {
        let e = error { try render("{% extends 'base.j2' %}", ["base.j2": "line\n{% if %}"]) }
        #expect(e?.location?.file == "base.j2")
        #expect(e?.location?.line == 2)
    }

    @Test func anErrorInAnImportedMacroPointsIntoTheMacrosFile() {
        let e = error { try render("\n\n{% import 'm.j2' as m %}{{ m.f() }}", ["m.j2": "{% macro f() %}\n{{ 1 // 0 }}{% endmacro %}"]) }
        #expect(e?.location == SourceLocation(file: "m.j2", line: 2, column: 1))
    }

    @Test func anErrorInAnOverridingBlockPointsIntoTheChild() {
        let e = error { try render("{% extends 'base.j2' %}\n{% block b %}\n{{ nope.x }}{% endblock %}", ["base.j2": "[{% block b %}{% endblock %}]"]) }
        #expect(e?.location == SourceLocation(file: "/roles/web/templates/site.j2", line: 3, column: 1))
    }

    @Test func aMissingTemplateIsLocatedAtTheTagAndNamesWhereItWasLookedFor() {
        let e = error { try render("x\n  {% include 'nope.j2' %}", ["other.j2": ""]) }
        #expect(e?.location == SourceLocation(file: "/roles/web/templates/site.j2", line: 2, column: 3))
        #expect(e?.message == "template 'nope.j2' not found")
        #expect(e?.expected == "a template in the templates 'other.j2'")
    }

    @Test func withoutALoaderIncludeIsAnErrorNotACrash() {
        let e = error { try TemplateEngine().render("{% include 'x' %}", context: context, origin: nil) }
        #expect(e?.message.contains("no search path") == true)
    }

    @Test func includeCyclesStopWithAnError() {
        let e = error { try render("{% include 'a' %}", ["a": "{% include 'b' %}", "b": "{% include 'a' %}"]) }
        #expect(e?.message.contains("cycle") == true)
    }

    @Test func checkFindsUnknownFiltersInsideBlocks() {
        let e = error { try engine.check("{% extends 'x' %}{% block b %}{{ 1 | nosuchfilter }}{% endblock %}", origin: origin) }
        #expect(e?.message == "no filter named 'nosuchfilter'")
    }

    @Test func theFileSystemLoaderSearchesInOrderAndRefusesParentDirectories() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("keel-loader-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (path, text) in ["first/a.j2": "first", "second/a.j2": "second", "second/sub/b.j2": "b", "secret.j2": "s"] {
            let full = root + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        let loader = FileSystemTemplateLoader(searchPaths: [root + "/first", root + "/second"])
        #expect(try loader.source(named: "a.j2")?.text == "first")
        #expect(try loader.source(named: "/sub//./b.j2")?.path == root + "/second/sub/b.j2", "a leading / is not absolute")
        #expect(try loader.source(named: "../secret.j2") == nil)
        #expect(try loader.source(named: "sub") == nil, "a directory is not a template")
        let decoding = FileSystemTemplateLoader(searchPaths: [root + "/second"], decode: { data, _ in Data(data.reversed()) })
        #expect(try decoding.source(named: "a.j2")?.text == "dnoces")
    }

    @Test func includedFilesHaveUniversalNewlinesAndLoseOneTrailingNewline() throws {
        #expect(try render("[{% include 'p' %}]", ["p": "a\r\nb\rc\r\n"]) == "[a\nb\nc]")
    }
}
