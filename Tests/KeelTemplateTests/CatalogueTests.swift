import KeelBase
import KeelTemplate
import Testing

/// Every filter and test Ansible playbooks commonly use is known to the engine (check() rejects unknown names).
@Suite struct CatalogueTests {
    let engine = TemplateEngine()

    @Test(arguments: [
        "default", "d", "mandatory", "bool", "int", "float", "string", "lower", "upper", "capitalize", "title", "replace",
        "regex_replace", "regex_search", "regex_findall", "regex_escape", "split", "join", "trim", "length", "count", "first",
        "last", "min", "max", "sum", "unique", "sort", "reverse", "flatten", "map", "select", "reject", "selectattr", "rejectattr",
        "combine", "dict2items", "items2dict", "zip", "zip_longest", "union", "intersect", "difference", "symmetric_difference",
        "to_json", "to_nice_json", "from_json", "to_yaml", "to_nice_yaml", "from_yaml", "b64encode", "b64decode", "hash",
        "checksum", "quote", "basename", "dirname", "splitext", "ternary", "list", "abs", "round", "batch", "slice", "groupby",
        "indent", "center", "wordcount", "urlencode", "truncate", "e", "escape", "safe", "format", "items", "product",
        "permutations", "dictsort", "extract", "subelements", "path_join", "type_debug", "ansible.builtin.combine",
    ])
    func filterIsKnown(_ name: String) throws {
        try engine.check("{{ x | \(name) }}", origin: nil)
    }

    @Test(arguments: [
        "defined", "undefined", "none", "string", "number", "integer", "float", "boolean", "mapping", "sequence", "iterable",
        "callable", "sameas", "eq", "ne", "lt", "le", "gt", "ge", "in", "divisibleby", "even", "odd", "lower", "upper", "match",
        "search", "regex", "succeeded", "success", "failed", "failure", "changed", "change", "skipped", "skip", "version",
        "version_compare", "subset", "superset", "contains", "truthy", "falsy", "ansible.builtin.failed",
    ])
    func testIsKnown(_ name: String) throws {
        try engine.check("{{ x is \(name) }}", origin: nil)
    }

    @Test func unknownTestIsReportedWithASuggestion() {
        #expect(throws: KeelError.self) { try engine.check("{{ x is defind }}", origin: nil) }
    }
}
