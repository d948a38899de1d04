/// The statements that name other templates (`include`, `import`, `from ... import`, `extends`) and
/// `block`, with Jinja2's grammar: the template is any expression, `ignore missing` and
/// `with context` / `without context` follow it.
extension Parser {
    mutating func parseInclude(_ opener: Token) throws -> Statement {
        let template = try parseExpression()
        var ignoreMissing = false
        if isName("ignore"), nextIsName("missing") {
            _ = advance(); _ = advance()
            ignoreMissing = true
        }
        let withContext = parseImportContext() ?? true
        try expectBlockEnd()
        return .include(template: template, ignoreMissing: ignoreMissing, withContext: withContext, opener.position)
    }

    mutating func parseImport(_ opener: Token) throws -> Statement {
        let template = try parseExpression()
        try expectName("as")
        let target = try expectIdentifier("a name for the imported template")
        let withContext = parseImportContext() ?? false
        try expectBlockEnd()
        return .importModule(template: template, target: target, withContext: withContext, opener.position)
    }

    mutating func parseFromImport(_ opener: Token) throws -> Statement {
        let template = try parseExpression()
        try expectName("import")
        var names: [(String, String)] = []
        var withContext: Bool?
        while true {
            if !names.isEmpty { try expectOp(",") }
            guard case .name = current.kind else { throw error("a name to import") }
            if let context = parseImportContext() { withContext = context; break }
            let nameToken = current
            let name = try expectIdentifier("a name to import")
            if name.hasPrefix("_") {
                throw TemplateSyntaxError(message: "names starting with an underline can not be imported", position: nameToken.position,
                                          expected: "a public name", found: "'\(name)'")
            }
            let alias = skipName("as") ? try expectIdentifier("a local name after 'as'") : name
            names.append((name, alias))
            if let context = parseImportContext() { withContext = context; break }
            if !isOp(",") { break }
        }
        try expectBlockEnd()
        return .fromImport(template: template, names: names, withContext: withContext ?? false, opener.position)
    }

    mutating func parseExtends(_ opener: Token) throws -> Statement {
        let template = try parseExpression()
        try expectBlockEnd()
        return .extends(template, opener.position)
    }

    mutating func parseBlock(_ opener: Token) throws -> Statement {
        let name = try expectIdentifier("a block name")
        let scoped = skipName("scoped")
        let required = skipName("required")
        if isOp("-") {
            throw TemplateSyntaxError(message: "Block names in Jinja have to be valid Python identifiers and may not contain hyphens, use an underscore instead.",
                                      position: current.position, expected: "end of statement '%}'", found: "'-'")
        }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endblock"], opener: opener)
        if required {
            for statement in body {
                guard case .text(let text) = statement, text.allSatisfy(\.isWhitespace) else {
                    throw TemplateSyntaxError(message: "Required blocks can only contain comments or whitespace", position: opener.position,
                                              expected: "only comments or whitespace in a required block", found: "content")
                }
            }
        }
        _ = skipName(name)
        try expectBlockEnd()
        return .block(BlockDefinition(name: name, body: body, scoped: scoped, required: required, position: opener.position))
    }

    /// `with context` (true), `without context` (false) or neither (nil, nothing consumed).
    mutating func parseImportContext() -> Bool? {
        guard isName("with") || isName("without"), nextIsName("context") else { return nil }
        let with = isName("with")
        _ = advance(); _ = advance()
        return with
    }

    func nextIsName(_ n: String) -> Bool {
        guard index + 1 < tokens.count, case .name(n) = tokens[index + 1].kind else { return false }
        return true
    }
}
