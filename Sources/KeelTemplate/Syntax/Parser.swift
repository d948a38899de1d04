/// Recursive-descent parser following Jinja2's grammar and operator precedence:
/// conditional < or < and < not < comparison < + - < ~ < * / // % < ** < unary - + < filters/tests < postfix.
struct Parser {
    var tokens: [Token]
    var index = 0

    init(tokens: [Token]) { self.tokens = tokens }

    var current: Token { tokens[index] }
    mutating func advance() -> Token { let t = tokens[index]; if index < tokens.count - 1 { index += 1 }; return t }

    func error(_ expected: String, _ token: Token? = nil) -> TemplateSyntaxError {
        let t = token ?? current
        return TemplateSyntaxError(message: "expected \(expected), found \(t.kind.display)", position: t.position,
                                   expected: expected, found: t.kind.display)
    }

    func isOp(_ op: String) -> Bool { if case .op(op) = current.kind { return true }; return false }
    func isName(_ n: String) -> Bool { if case .name(n) = current.kind { return true }; return false }

    mutating func skipOp(_ op: String) -> Bool { if isOp(op) { _ = advance(); return true }; return false }
    mutating func skipName(_ n: String) -> Bool { if isName(n) { _ = advance(); return true }; return false }
    mutating func expectOp(_ op: String) throws { guard skipOp(op) else { throw error("'\(op)'") } }
    mutating func expectName(_ n: String) throws { guard skipName(n) else { throw error("'\(n)'") } }
    mutating func expectIdentifier(_ what: String = "a name") throws -> String {
        if case .name(let n) = current.kind { _ = advance(); return n }
        throw error(what)
    }
    mutating func expectBlockEnd() throws {
        guard case .blockEnd = current.kind else { throw error("end of statement '%}'") }
        _ = advance()
    }

    // MARK: Templates

    /// Parses until one of `endTags` opens a block; returns the body and that tag's name (consumed).
    mutating func parseBody(until endTags: Set<String>, opener: Token?) throws -> ([Statement], String?) {
        var body: [Statement] = []
        while true {
            let token = current
            switch token.kind {
            case .data(let s), .rawData(let s):
                _ = advance(); body.append(.text(s))
            case .variableBegin:
                _ = advance()
                let expr = try parseTuple()
                guard case .variableEnd = current.kind else { throw error("end of print statement '}}'") }
                _ = advance()
                body.append(.output(expr, token.position))
            case .blockBegin:
                _ = advance()
                guard case .name(let tag) = current.kind else { throw error("a statement name after '{%'") }
                if endTags.contains(tag) { _ = advance(); return (body, tag) }
                body.append(try parseStatement(tag, at: token))
            case .end:
                if let opener, !endTags.isEmpty {
                    let names = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw TemplateSyntaxError(message: "unexpected end of template: the block opened at line \(opener.position.line) is never closed, expected \(names)",
                                              position: token.position, expected: names, found: "end of template")
                }
                return (body, nil)
            default:
                throw error("template data or a tag")
            }
        }
    }

    static let knownEndTags: Set<String> = ["endif", "endfor", "endset", "endmacro", "endcall", "endfilter", "endwith", "elif", "else", "endraw", "endblock"]

    mutating func parseStatement(_ tag: String, at opener: Token) throws -> Statement {
        let tagToken = advance()
        switch tag {
        case "if": return try parseIf(opener)
        case "for": return try parseFor(opener)
        case "set": return try parseSet(opener)
        case "macro": return try parseMacro(opener)
        case "call": return try parseCall(opener)
        case "filter": return try parseFilterBlock(opener)
        case "with": return try parseWith(opener)
        case "do":
            let e = try parseTuple(); try expectBlockEnd(); return .doExpression(e, opener.position)
        case "break": try expectBlockEnd(); return .breakLoop(opener.position)
        case "continue": try expectBlockEnd(); return .continueLoop(opener.position)
        case "include": return try parseInclude(opener)
        case "import": return try parseImport(opener)
        case "from": return try parseFromImport(opener)
        case "extends": return try parseExtends(opener)
        case "block": return try parseBlock(opener)
        default:
            if Parser.knownEndTags.contains(tag) {
                throw TemplateSyntaxError(message: "unexpected '\(tag)': no open block expects it", position: tagToken.position,
                                          expected: "a statement", found: "'\(tag)'")
            }
            throw TemplateSyntaxError(message: "unknown tag '\(tag)'", position: tagToken.position,
                                      expected: "a statement (if, for, set, macro, call, filter, with, do, break, continue, raw, include, import, from, extends, block)",
                                      found: "'\(tag)'")
        }
    }

    mutating func parseIf(_ opener: Token) throws -> Statement {
        var branches: [(Expr, [Statement])] = []
        var condition = try parseTuple(allowConditional: true)
        try expectBlockEnd()
        while true {
            let (body, end) = try parseBody(until: ["elif", "else", "endif"], opener: opener)
            branches.append((condition, body))
            if end == "elif" { condition = try parseTuple(); try expectBlockEnd(); continue }
            if end == "else" {
                try expectBlockEnd()
                let (other, _) = try parseBody(until: ["endif"], opener: opener)
                try expectBlockEnd()
                return .ifChain(branches, otherwise: other, opener.position)
            }
            try expectBlockEnd()
            return .ifChain(branches, otherwise: [], opener.position)
        }
    }

    mutating func parseFor(_ opener: Token) throws -> Statement {
        let target = try parseAssignTarget(allowAttribute: false)
        try expectName("in")
        let iterable = try parseTuple(allowConditional: false)
        var condition: Expr? = nil
        if skipName("if") { condition = try parseExpression() }
        let recursive = skipName("recursive")
        try expectBlockEnd()
        let (body, end) = try parseBody(until: ["endfor", "else"], opener: opener)
        var otherwise: [Statement] = []
        if end == "else" {
            try expectBlockEnd()
            (otherwise, _) = try parseBody(until: ["endfor"], opener: opener)
        }
        try expectBlockEnd()
        return .forLoop(ForLoop(target: target, iterable: iterable, condition: condition, body: body,
                                otherwise: otherwise, recursive: recursive, position: opener.position))
    }

    mutating func parseSet(_ opener: Token) throws -> Statement {
        let target = try parseAssignTarget(allowAttribute: true)
        if skipOp("=") {
            let value = try parseTuple()
            try expectBlockEnd()
            return .set(target, value, opener.position)
        }
        let filters = try parseFilterChain()
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endset"], opener: opener)
        try expectBlockEnd()
        return .setBlock(target, filters: filters, body: body, opener.position)
    }

    mutating func parseFilterChain() throws -> [(String, Arguments, TemplatePosition)] {
        var filters: [(String, Arguments, TemplatePosition)] = []
        while skipOp("|") || (filters.isEmpty && isNameToken) {
            let pos = current.position
            let name = try parseDottedName()
            let args = isOp("(") ? try parseCallArguments() : Arguments()
            filters.append((name, args, pos))
        }
        return filters
    }

    var isNameToken: Bool { if case .name = current.kind { return true }; return false }

    mutating func parseFilterBlock(_ opener: Token) throws -> Statement {
        let filters = try parseFilterChain()
        guard !filters.isEmpty else { throw error("a filter name") }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endfilter"], opener: opener)
        try expectBlockEnd()
        return .filterBlock(filters: filters, body: body, opener.position)
    }

    mutating func parseWith(_ opener: Token) throws -> Statement {
        var assignments: [(AssignTarget, Expr)] = []
        while case .name(let name) = current.kind {
            _ = advance()
            try expectOp("=")
            assignments.append((.name(name), try parseExpression()))
            if !skipOp(",") { break }
        }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endwith"], opener: opener)
        try expectBlockEnd()
        return .with(assignments: assignments, body: body, opener.position)
    }

    mutating func parseMacroSignature() throws -> [MacroParameter] {
        var params: [MacroParameter] = []
        try expectOp("(")
        while !isOp(")") {
            if !params.isEmpty { try expectOp(",") }
            if isOp(")") { break }
            let name = try expectIdentifier("a parameter name")
            let def: Expr? = skipOp("=") ? try parseExpression() : nil
            params.append(MacroParameter(name: name, defaultValue: def))
        }
        try expectOp(")")
        return params
    }

    mutating func parseMacro(_ opener: Token) throws -> Statement {
        let name = try expectIdentifier("a macro name")
        let params = try parseMacroSignature()
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endmacro"], opener: opener)
        try expectBlockEnd()
        return .macro(MacroDefinition(name: name, parameters: params, body: body))
    }

    mutating func parseCall(_ opener: Token) throws -> Statement {
        let params = isOp("(") ? try parseMacroSignature() : []
        let callExpr = try parseExpression()
        guard case .call = callExpr else { throw error("a macro call after 'call'") }
        try expectBlockEnd()
        let (body, _) = try parseBody(until: ["endcall"], opener: opener)
        try expectBlockEnd()
        return .callBlock(call: callExpr, definition: MacroDefinition(name: "caller", parameters: params, body: body), opener.position)
    }

    mutating func parseAssignTarget(allowAttribute: Bool) throws -> AssignTarget {
        var items: [AssignTarget] = []
        var sawComma = false
        repeat {
            if isOp("(") {
                _ = advance()
                items.append(try parseAssignTarget(allowAttribute: false))
                try expectOp(")")
            } else {
                let name = try expectIdentifier("a variable name to assign to")
                if allowAttribute, skipOp(".") {
                    items.append(.attribute(name, try expectIdentifier("an attribute name")))
                } else {
                    items.append(.name(name))
                }
            }
            sawComma = skipOp(",")
        } while sawComma && isNameToken || (sawComma && isOp("("))
        return items.count == 1 && !sawComma ? items[0] : .tuple(items)
    }

    // MARK: Expressions

    /// A comma-separated expression list becomes a tuple (`{{ a, b }}`, `set x = 1, 2`).
    mutating func parseTuple(allowConditional: Bool = true) throws -> Expr {
        let first = allowConditional ? try parseExpression() : try parseOr()
        guard isOp(",") else { return first }
        var items = [first]
        while skipOp(",") {
            if isTupleEnd { break }
            items.append(allowConditional ? try parseExpression() : try parseOr())
        }
        return .tuple(items)
    }

    var isTupleEnd: Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .end: return true
        case .op(let o): return o == ")" || o == "]" || o == "}" || o == "="
        case .name(let n): return n == "in" || n == "if" || n == "recursive"
        default: return false
        }
    }

    mutating func parseExpression() throws -> Expr {
        let value = try parseOr()
        if skipName("if") {
            let test = try parseOr()
            let otherwise: Expr? = skipName("else") ? try parseExpression() : nil
            return .conditional(test: test, then: value, otherwise: otherwise)
        }
        return value
    }

    mutating func parseOr() throws -> Expr {
        var left = try parseAnd()
        while skipName("or") { left = .or(left, try parseAnd()) }
        return left
    }

    mutating func parseAnd() throws -> Expr {
        var left = try parseNot()
        while skipName("and") { left = .and(left, try parseNot()) }
        return left
    }

    mutating func parseNot() throws -> Expr {
        if skipName("not") { return .not(try parseNot()) }
        return try parseCompare()
    }

    static let comparisonOps: Set<String> = ["==", "!=", "<", "<=", ">", ">="]

    mutating func parseCompare() throws -> Expr {
        let pos = current.position
        let left = try parseMath1()
        var ops: [(String, Expr)] = []
        while true {
            if case .op(let o) = current.kind, Parser.comparisonOps.contains(o) {
                _ = advance(); ops.append((o, try parseMath1()))
            } else if skipName("in") {
                ops.append(("in", try parseMath1()))
            } else if isName("not"), index + 1 < tokens.count, case .name("in") = tokens[index + 1].kind {
                _ = advance(); _ = advance(); ops.append(("notin", try parseMath1()))
            } else { break }
        }
        return ops.isEmpty ? left : .compare(left, ops, pos)
    }

    mutating func parseMath1() throws -> Expr {
        var left = try parseConcat()
        while case .op(let o) = current.kind, o == "+" || o == "-" {
            let pos = advance().position
            left = .binary(o, left, try parseConcat(), pos)
        }
        return left
    }

    mutating func parseConcat() throws -> Expr {
        let pos = current.position
        var items = [try parseMath2()]
        while skipOp("~") { items.append(try parseMath2()) }
        return items.count == 1 ? items[0] : .concat(items, pos)
    }

    mutating func parseMath2() throws -> Expr {
        var left = try parsePow()
        while case .op(let o) = current.kind, o == "*" || o == "/" || o == "//" || o == "%" {
            let pos = advance().position
            left = .binary(o, left, try parsePow(), pos)
        }
        return left
    }

    mutating func parsePow() throws -> Expr {
        var left = try parseUnary()
        while isOp("**") {
            let pos = advance().position
            left = .binary("**", left, try parseUnary(), pos)
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws -> Expr {
        var node: Expr
        if case .op(let o) = current.kind, o == "-" || o == "+" {
            let pos = advance().position
            node = .unary(o, try parseUnary(withFilter: false), pos)
        } else {
            node = try parsePostfix(try parsePrimary())
        }
        if withFilter { node = try parseFilterAndTests(node) }
        return node
    }

    mutating func parsePrimary() throws -> Expr {
        let token = current
        switch token.kind {
        case .name(let n):
            _ = advance()
            switch n {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(n, token.position)
            }
        case .string(let s):
            _ = advance()
            var text = s
            while case .string(let more) = current.kind { text += more; _ = advance() }
            return .literal(.string(text))
        case .integer(let i): _ = advance(); return .literal(.int(i))
        case .float(let d): _ = advance(); return .literal(.double(d))
        case .op("("):
            _ = advance()
            if skipOp(")") { return .tuple([]) }
            let first = try parseExpression()
            if skipOp(")") { return first }
            var items = [first]
            while skipOp(",") {
                if isOp(")") { break }
                items.append(try parseExpression())
            }
            try expectOp(")")
            return .tuple(items)
        case .op("["):
            _ = advance()
            var items: [Expr] = []
            while !isOp("]") {
                if !items.isEmpty { try expectOp(",") }
                if isOp("]") { break }
                items.append(try parseExpression())
            }
            try expectOp("]")
            return .list(items)
        case .op("{"):
            _ = advance()
            var pairs: [(Expr, Expr)] = []
            while !isOp("}") {
                if !pairs.isEmpty { try expectOp(",") }
                if isOp("}") { break }
                let key = try parseExpression()
                try expectOp(":")
                pairs.append((key, try parseExpression()))
            }
            try expectOp("}")
            return .dict(pairs)
        default:
            throw error("an expression")
        }
    }

    mutating func parsePostfix(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            let token = current
            if skipOp(".") {
                switch current.kind {
                case .name(let n): _ = advance(); node = .attribute(node, n, token.position)
                case .integer(let i): _ = advance(); node = .item(node, .literal(.int(i)), token.position)
                default: throw error("an attribute name after '.'")
                }
            } else if skipOp("[") {
                node = try parseSubscript(node, token.position)
            } else if isOp("(") {
                node = .call(node, try parseCallArguments(), token.position)
            } else {
                return node
            }
        }
    }

    mutating func parseSubscript(_ base: Expr, _ pos: TemplatePosition) throws -> Expr {
        var parts: [Expr?] = []
        var isSlice = false
        var currentPart: Expr? = nil
        while true {
            if isOp(":") { _ = advance(); isSlice = true; parts.append(currentPart); currentPart = nil; continue }
            if isOp("]") { _ = advance(); parts.append(currentPart); break }
            currentPart = try parseExpression()
            if isOp(",") {
                var items = [currentPart!]
                while skipOp(",") { if isOp("]") { break }; items.append(try parseExpression()) }
                currentPart = .tuple(items)
            }
        }
        if !isSlice { return .item(base, parts[0]!, pos) }
        guard parts.count <= 3 else { throw error("at most two ':' in a slice") }
        return .slice(base, parts[0], parts.count > 1 ? parts[1] : nil, parts.count > 2 ? parts[2] : nil, pos)
    }

    mutating func parseCallArguments() throws -> Arguments {
        try expectOp("(")
        var args = Arguments()
        var first = true
        while !isOp(")") {
            if !first { try expectOp(",") }
            first = false
            if isOp(")") { break }
            if skipOp("*") { args.star = try parseExpression(); continue }
            if skipOp("**") { args.doubleStar = try parseExpression(); continue }
            if case .name(let n) = current.kind, index + 1 < tokens.count, case .op("=") = tokens[index + 1].kind {
                _ = advance(); _ = advance()
                args.keyword.append((n, try parseExpression()))
                continue
            }
            args.positional.append(try parseExpression())
        }
        try expectOp(")")
        return args
    }

    mutating func parseDottedName() throws -> String {
        var name = try expectIdentifier("a filter name")
        while isOp("."), index + 1 < tokens.count, case .name(let more) = tokens[index + 1].kind {
            _ = advance(); _ = advance(); name += "." + more
        }
        return name
    }

    mutating func parseFilterAndTests(_ start: Expr) throws -> Expr {
        var node = start
        while true {
            if isOp("|") {
                _ = advance()
                let pos = current.position
                let name = try parseDottedName()
                let args = isOp("(") ? try parseCallArguments() : Arguments()
                node = .filter(node, name, args, pos)
            } else if isName("is") {
                _ = advance()
                let negated = skipName("not")
                let pos = current.position
                let name = try parseDottedName()
                var args = Arguments()
                if isOp("(") {
                    args = try parseCallArguments()
                } else if startsTestArgument {
                    args.positional = [try parsePostfix(try parsePrimary())]
                }
                node = .test(node, name, args, negated: negated, pos)
            } else {
                return node
            }
        }
    }

    var startsTestArgument: Bool {
        switch current.kind {
        case .name(let n): return !["else", "or", "and", "is", "if", "in", "not"].contains(n)
        case .string, .integer, .float: return true
        case .op(let o): return o == "[" || o == "{"
        default: return false
        }
    }
}
