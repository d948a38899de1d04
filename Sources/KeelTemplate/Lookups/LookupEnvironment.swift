import Foundation
import KeelBase
import OrderedCollections

/// What a lookup sees of the task that called it: the task's variables, the controller's search path
/// (`ansible_search_path` and `playbook_dir`, which the engine sets for every task), and a way to render
/// a template with those variables.
struct LookupEnvironment {
    let context: any TemplateContext
    let library: Library
    /// `with_first_found` searches in the directory the task's action reads from (templates/ for
    /// template, vars/ for include_vars), as Ansible's task executor tells the lookup; nil elsewhere.
    var subdirectory: String?

    func variable(_ name: String) throws -> Value? { try context.lookup(name) }

    /// Where relative file names are looked for: `ansible_search_path` (the task's role directories and
    /// its own file's directory), or the playbook's directory when there is none.
    func searchPath() throws -> [String] {
        if let paths = try variable("ansible_search_path")?.listValue?.compactMap(\.stringValue), !paths.isEmpty { return paths }
        return [baseDirectory()]
    }

    /// Ansible's loader base directory: the playbook's directory (the current directory outside a playbook).
    func baseDirectory() -> String {
        if let dir = (try? variable("playbook_dir"))??.stringValue, !dir.isEmpty { return dir }
        return FileManager.default.currentDirectoryPath
    }

    /// The first existing file for `needle` in the search path, below `subdirectory` (files, templates,
    /// vars) first, as Ansible's `find_file_in_search_path`; nil when there is none.
    func find(_ needle: String, in subdirectory: String) throws -> String? {
        try SearchPath.find(needle, in: subdirectory, paths: searchPath(), base: baseDirectory())
    }

    /// Like `find`, but a missing file is an error naming the places searched.
    func require(_ needle: String, in subdirectory: String, for lookup: String) throws -> String {
        if let path = try find(needle, in: subdirectory) { return path }
        let places = try SearchPath.candidates(needle, in: subdirectory, paths: searchPath(), base: baseDirectory())
        throw KeelError("lookup '\(lookup)': could not find '\(needle)'", expected: "one of " + places.joined(separator: ", "), found: "none of them")
    }

    /// Renders `source` (a controller template file) with the task's variables plus `extra`, as the
    /// template module renders template files (string escapes interpreted, trailing newlines kept), with
    /// Ansible 2.19's native typing: a template that is one expression gives that expression's value.
    func render(_ source: String, file: String, extra: OrderedDictionary<String, Value>, options: TemplateOptions) throws -> Value {
        if !TemplateEngine.containsTemplate(source) { return .string(source) }
        let origin = SourceLocation(file: file, line: 1, column: 1)
        let statements: [Statement]
        do {
            var lexer = Lexer(source, options: options)
            var parser = Parser(tokens: try lexer.tokenize())
            statements = try parser.parseBody(until: [], opener: nil).0
        } catch let e as TemplateSyntaxError {
            throw KeelError("template syntax error: \(e.message)", at: TemplateEngine.shift(origin, e.position), expected: e.expected, found: e.found)
        }
        // A template that looks itself up (directly or through others) is an error, not a crashed process.
        let depth = ((context as? ExtraVariablesContext)?.depth ?? 0) + 1
        guard depth <= ExtraVariablesContext.maximumDepth else {
            throw KeelError("template lookups nested more than \(ExtraVariablesContext.maximumDepth) deep (a template that looks itself up?)",
                            at: origin, found: file)
        }
        let layered = ExtraVariablesContext(base: context, extra: extra, depth: depth)
        do {
            let top = LoadedTemplate(name: nil, parsed: ParsedTemplate(statements: statements), origin: origin)
            let value = try Renderer(library: library, context: layered, template: top).renderNative(statements).toValue()
            guard options.preserveTrailingNewlines, case .string(var text) = value else { return value }
            let missing = TemplateEngine.trailingNewlines(source) - TemplateEngine.trailingNewlines(text)
            if missing > 0 { text += String(repeating: "\n", count: missing) }
            return .string(text)
        } catch let e as TemplateRuntimeError {
            throw e.error.located(at: TemplateEngine.shift(origin, e.position))
        }
    }

    /// `errors='warn'`: Ansible prints a warning and goes on; the template engine has no event stream,
    /// so the warning goes to standard error in Ansible's words.
    func warn(_ message: String) {
        FileHandle.standardError.write(Data("[WARNING]: \(message)\n".utf8))
    }
}

/// The task's variables with a few more on top (a template lookup's template_vars and template_path).
struct ExtraVariablesContext: TemplateContext {
    let base: any TemplateContext
    let extra: OrderedDictionary<String, Value>
    /// How many template lookups are rendering inside each other.
    var depth = 1
    static let maximumDepth = 32
    func lookup(_ name: String) throws -> Value? {
        if let value = extra[name] { return value }
        return try base.lookup(name)
    }
    func variableNames() throws -> [String] { Array(extra.keys) + (try base.variableNames()).filter { extra[$0] == nil } }
}
