import Foundation
import KeelBase
import KeelTemplate
import OrderedCollections
import Testing

/// Every case of the corpus (expectations recorded from Jinja2 3.1.6 + ansible-core by
/// scripts/jinja-corpus.py) renders the same through Keel, except the ones docs/jinja-deviations.md lists.
@Suite struct CorpusTests {
    struct Case {
        var id: String
        var template: String
        var variables: OrderedDictionary<String, Value>
        var native: Bool
        var options: TemplateOptions
        var expected: Value?
        var errorType: String?
        var errorMessage: String?
        /// The fixture folder (in Corpus) that include, import and extends find templates in.
        var loader: FileSystemTemplateLoader?
    }

    static func loadCases() throws -> [Case] {
        guard let folder = Bundle.module.url(forResource: "Corpus", withExtension: nil) else {
            throw KeelError("the Corpus resource folder is missing from the test bundle")
        }
        var cases: [Case] = []
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        for file in files {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
            guard case .list(let items) = try Value.parseJSON(text) else { throw KeelError("\(file) is not a JSON list") }
            for item in items {
                var options = TemplateOptions.ansible
                if let o = item["options"] {
                    options.trimBlocks = o["trim_blocks"]?.boolValue ?? true
                    options.lstripBlocks = o["lstrip_blocks"]?.boolValue ?? false
                    options.escapeBackslashes = o["escape_backslashes"]?.boolValue ?? true
                }
                cases.append(Case(id: item["id"]?.stringValue ?? "?", template: item["template"]?.stringValue ?? "",
                                  variables: item["vars"]?.dictValue ?? [:], native: item["mode"]?.stringValue == "native",
                                  options: options, expected: item["expected"],
                                  errorType: item["error"]?["type"]?.stringValue, errorMessage: item["error"]?["message"]?.stringValue,
                                  loader: item["loader"]?.stringValue.map { FileSystemTemplateLoader(searchPaths: [folder.appendingPathComponent($0).path]) }))
            }
        }
        return cases
    }

    /// Case ids listed in docs/jinja-deviations.md as "- `id`: reason".
    static func deviations() throws -> Set<String> {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/jinja-deviations.md")
        let text = try String(contentsOf: docs, encoding: .utf8)
        var ids = Set<String>()
        for line in text.split(separator: "\n") where line.hasPrefix("- `") {
            let rest = line.dropFirst(3)
            if let end = rest.firstIndex(of: "`") { ids.insert(String(rest[..<end])) }
        }
        return ids
    }

    /// Returns nil when the case passes, else a description of the mismatch.
    static func run(_ c: Case, engine: TemplateEngine) -> String? {
        let context = DictionaryContext(c.variables)
        do {
            let got: Value = c.native
                ? try engine.renderValue(c.template, context: context, origin: nil, loader: c.loader)
                : .string(try engine.render(c.template, context: context, origin: nil, options: engine.options, loader: c.loader))
            if c.errorType != nil { return "expected error \(c.errorType!): \(c.errorMessage ?? ""), got \(got.jsonString())" }
            if got != c.expected { return "expected \(c.expected?.jsonString() ?? "nil"), got \(got.jsonString())" }
            return nil
        } catch let e as KeelError {
            guard let type = c.errorType else { return "expected \(c.expected?.jsonString() ?? "nil"), got error \(e.message)" }
            // Undefined errors must name the same thing Jinja2 names; other errors need only fail.
            if type == "UndefinedError", let m = c.errorMessage, !e.message.contains(m) {
                return "expected undefined error \(m), got \(e.message)"
            }
            return nil
        } catch {
            return "unexpected non-Keel error \(error)"
        }
    }

    @Test func everyCorpusCaseMatchesJinja2OrIsAListedDeviation() throws {
        let cases = try Self.loadCases()
        #expect(cases.count >= 450)
        let deviations = try Self.deviations()
        var engines: [TemplateOptions: TemplateEngine] = [:]
        var failures: [String] = []
        var passed = 0
        for c in cases {
            let engine = engines[c.options] ?? TemplateEngine(options: c.options)
            engines[c.options] = engine
            if let problem = Self.run(c, engine: engine) {
                if !deviations.contains(c.id) { failures.append("\(c.id) \(c.template.debugDescription): \(problem)") }
            } else {
                passed += 1
                if deviations.contains(c.id) { failures.append("\(c.id) passes but is listed in docs/jinja-deviations.md") }
            }
        }
        print("corpus: \(passed) of \(cases.count) cases match Jinja2, \(deviations.count) listed deviations")
        #expect(failures.isEmpty, Comment(rawValue: "\(failures.count) corpus cases differ:\n" + failures.joined(separator: "\n")))
    }
}
