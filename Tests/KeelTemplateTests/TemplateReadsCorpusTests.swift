import KeelBase
import KeelTemplate
import Testing

/// `TemplateEngine.reads` against the template corpus (expectations recorded from Jinja2 and ansible-core):
/// a template that renders with some variables reads no other name it does not guard, and a template that
/// fails because a variable is undefined reads that variable.
@Suite struct TemplateReadsCorpusTests {
    let engine = TemplateEngine()

    @Test func aTemplateThatRendersReadsOnlyItsVariables() throws {
        var wrong: [String] = []
        for c in try CorpusTests.loadCases() where c.expected != nil && c.errorType == nil {
            guard let reads = try? engine.reads(in: c.template, origin: nil, options: c.options) else { continue }
            let unknown = reads.reads.map(\.name).filter { c.variables[$0] == nil && !reads.guarded.contains($0) }
            if !unknown.isEmpty { wrong.append("\(c.id): \(unknown) in \(c.template)") }
        }
        #expect(wrong.isEmpty, "\(wrong.count) cases:\n\(wrong.joined(separator: "\n"))")
    }

    /// The walk may miss a name, never invent one; these misses are by design: templates that include,
    /// import or extend others are read without them, and names are bound wherever the template binds them.
    static let knownMisses: Set<String> = [
        "scope-003",   // `i` read after the loop that bound it
        "scope-013",   // `loop` counts as bound everywhere
        "undef-021",   // `missing2` handed to default() as it is: passed on undefined unless used
        "undef-029",   // `missing` assigned as it is (no failure yet), then printed under its new name
    ]

    @Test func aTemplateFailingOnAnUndefinedVariableReadsIt() throws {
        var missed: [String] = []
        for c in try CorpusTests.loadCases() where c.loader == nil && !Self.knownMisses.contains(c.id) {
            guard let message = c.errorMessage, let range = message.range(of: #"^'([A-Za-z_][A-Za-z_0-9]*)' is undefined"#, options: .regularExpression),
                  let reads = try? engine.reads(in: c.template, origin: nil, options: c.options) else { continue }
            let name = String(message[range].dropFirst().prefix { $0 != "'" })
            if !reads.reads.contains(where: { $0.name == name }) { missed.append("\(c.id): \(name) in \(c.template)") }
        }
        #expect(missed.isEmpty, "\(missed.count) cases:\n\(missed.joined(separator: "\n"))")
    }
}
