/// What Jinja2 checks when it compiles a template that uses inheritance: every `{% block %}` (however
/// deeply nested) is registered by name, a name may be used once, and `{% extends %}` stands at the top
/// level (possibly inside `{% if %}`), never in a loop, macro, block or other body.
enum TemplateStructure {
    static func blocks(in statements: [Statement]) throws -> [String: BlockDefinition] {
        var found: [String: BlockDefinition] = [:]
        try walk(statements, topLevel: true) { block in
            if found[block.name] != nil {
                throw TemplateSyntaxError(message: "block '\(block.name)' defined twice", position: block.position,
                                          expected: "a block name used once per template", found: "'\(block.name)' again")
            }
            found[block.name] = block
        }
        return found
    }

    private static func walk(_ statements: [Statement], topLevel: Bool, _ visit: (BlockDefinition) throws -> Void) throws {
        for statement in statements {
            switch statement {
            case .block(let def):
                try visit(def)
                try walk(def.body, topLevel: false, visit)
            case .extends(_, let pos) where !topLevel:
                throw TemplateSyntaxError(message: "cannot use extend from a non top-level scope", position: pos,
                                          expected: "'extends' at the top level of the template", found: "'extends' inside another statement")
            case .ifChain(let branches, let otherwise, _):
                for (_, body) in branches { try walk(body, topLevel: topLevel, visit) }
                try walk(otherwise, topLevel: topLevel, visit)
            case .forLoop(let loop):
                try walk(loop.body, topLevel: false, visit)
                try walk(loop.otherwise, topLevel: false, visit)
            case .setBlock(_, _, let body, _), .filterBlock(_, let body, _), .with(_, let body, _):
                try walk(body, topLevel: false, visit)
            case .macro(let def), .callBlock(_, let def, _):
                try walk(def.body, topLevel: false, visit)
            case .text, .output, .set, .doExpression, .breakLoop, .continueLoop, .include, .importModule, .fromImport, .extends:
                break
            }
        }
    }
}
