/// Expression tree. Nodes that can fail at run time with a message worth locating carry a position.
indirect enum Expr: Sendable {
    case literal(RuntimeLiteral)
    case name(String, TemplatePosition)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String, TemplatePosition)
    case item(Expr, Expr, TemplatePosition)
    case slice(Expr, Expr?, Expr?, Expr?, TemplatePosition)
    case call(Expr, Arguments, TemplatePosition)
    case filter(Expr?, String, Arguments, TemplatePosition)
    case test(Expr, String, Arguments, negated: Bool, TemplatePosition)
    case unary(String, Expr, TemplatePosition)
    case binary(String, Expr, Expr, TemplatePosition)
    case compare(Expr, [(String, Expr)], TemplatePosition)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    case conditional(test: Expr, then: Expr, otherwise: Expr?)
    case concat([Expr], TemplatePosition)
}

/// Constants the parser can fold into the tree (all Sendable).
enum RuntimeLiteral: Sendable {
    case none, bool(Bool), int(Int), double(Double), string(String)
}

struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
    var star: Expr? = nil
    var doubleStar: Expr? = nil
}

/// Where an assignment (`set`, `for`) stores a value.
indirect enum AssignTarget: Sendable {
    case name(String)
    case tuple([AssignTarget])
    case attribute(String, String)  // namespace attribute: {% set ns.count = 1 %}
}

struct MacroParameter: Sendable {
    var name: String
    var defaultValue: Expr?
}

indirect enum Statement: Sendable {
    case text(String)
    case output(Expr, TemplatePosition)
    case ifChain([(Expr, [Statement])], otherwise: [Statement], TemplatePosition)
    case forLoop(ForLoop)
    case set(AssignTarget, Expr, TemplatePosition)
    case setBlock(AssignTarget, filters: [(String, Arguments, TemplatePosition)], body: [Statement], TemplatePosition)
    case macro(MacroDefinition)
    case callBlock(call: Expr, definition: MacroDefinition, TemplatePosition)
    case filterBlock(filters: [(String, Arguments, TemplatePosition)], body: [Statement], TemplatePosition)
    case with(assignments: [(AssignTarget, Expr)], body: [Statement], TemplatePosition)
    case doExpression(Expr, TemplatePosition)
    case breakLoop(TemplatePosition)
    case continueLoop(TemplatePosition)
    /// `{% include name [ignore missing] [with|without context] %}`; `name` may be a list (first found).
    case include(template: Expr, ignoreMissing: Bool, withContext: Bool, TemplatePosition)
    /// `{% import name as target [with|without context] %}`.
    case importModule(template: Expr, target: String, withContext: Bool, TemplatePosition)
    /// `{% from name import a, b as c [with|without context] %}`: (exported name, local name) pairs.
    case fromImport(template: Expr, names: [(String, String)], withContext: Bool, TemplatePosition)
    case extends(Expr, TemplatePosition)
    case block(BlockDefinition)
}

/// `{% block name [scoped] [required] %}...{% endblock %}`.
struct BlockDefinition: Sendable {
    var name: String
    var body: [Statement]
    /// Sees the local variables (loop variables) of the place it is rendered at.
    var scoped: Bool
    /// Must be overridden by a template that extends this one.
    var required: Bool
    var position: TemplatePosition
}

struct ForLoop: Sendable {
    var target: AssignTarget
    var iterable: Expr
    var condition: Expr?
    var body: [Statement]
    var otherwise: [Statement]
    var recursive: Bool
    var position: TemplatePosition
}

struct MacroDefinition: Sendable {
    var name: String
    var parameters: [MacroParameter]
    var body: [Statement]
}
