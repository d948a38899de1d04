/// A position inside a template string: 1-based line and column, as the error messages print them.
struct TemplatePosition: Sendable, Equatable {
    var line: Int
    var column: Int
    static let start = TemplatePosition(line: 1, column: 1)
}

/// The lexer's output. Text between tags is `data`; inside `{{ }}` and `{% %}` come expression tokens.
enum TokenKind: Equatable, Sendable {
    case data(String)
    case variableBegin, variableEnd, blockBegin, blockEnd
    case rawData(String)  // the body of {% raw %}...{% endraw %}
    case name(String)
    case string(String)
    case integer(Int)
    case float(Double)
    case op(String)
    case end

    /// How an error message shows the token ("found '}}'").
    var display: String {
        switch self {
        case .data: return "template data"
        case .rawData: return "raw data"
        case .variableBegin: return "'{{'"
        case .variableEnd: return "'}}'"
        case .blockBegin: return "'{%'"
        case .blockEnd: return "'%}'"
        case .name(let n): return "'\(n)'"
        case .string(let s): return "string '\(s)'"
        case .integer(let i): return "integer \(i)"
        case .float(let d): return "float \(d)"
        case .op(let o): return "'\(o)'"
        case .end: return "end of template"
        }
    }
}

struct Token: Sendable {
    var kind: TokenKind
    var position: TemplatePosition
}
