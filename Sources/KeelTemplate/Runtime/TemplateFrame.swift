import KeelBase
import OrderedCollections

/// A parsed template the renderer runs: the one the engine was given, or one loaded by name for
/// `include`, `import`, `from` or `extends`.
final class LoadedTemplate {
    /// The name it was loaded by; nil for the engine's own source (Jinja2's `from_string`).
    let name: String?
    let parsed: ParsedTemplate
    /// Where line 1, column 1 of the template is, for error locations.
    let origin: SourceLocation?

    init(name: String?, parsed: ParsedTemplate, origin: SourceLocation?) {
        self.name = name
        self.parsed = parsed
        self.origin = origin
    }
}

/// A block definition and the template it was written in (its errors are located there).
struct BlockEntry {
    let definition: BlockDefinition
    let template: LoadedTemplate
}

/// Jinja2's Context: the variables of one template render. A template and every template it extends
/// share one frame (their top-level assignments and block stacks); an include or import gets its own.
final class TemplateFrame {
    /// Top-level variables, including the names imports bind. Its parent, for an include or import
    /// with context, is the includer's scope at that point (loop variables included).
    let root: Scope
    /// Whether the variables the engine was called with are visible: not in a template imported
    /// without context, which sees only its own names and the globals.
    let seesCallerVariables: Bool
    /// For every block name, its definitions from the most derived template to the base.
    var blocks: [String: [BlockEntry]] = [:]
    /// Top-level names a module exports (assigned or defined at the top level, not starting with `_`).
    var exported = OrderedSet<String>()

    init(template: LoadedTemplate, root: Scope, seesCallerVariables: Bool) {
        self.root = root
        self.seesCallerVariables = seesCallerVariables
        for (name, definition) in template.parsed.blocks { blocks[name] = [BlockEntry(definition: definition, template: template)] }
    }
}
