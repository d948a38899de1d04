import KeelBase
import OrderedCollections

/// Where a template finds its variables. The engine's caller implements this with lazy variable
/// templating (a host's variables are rendered only when a template asks for them).
public protocol TemplateContext {
    /// The variable's value, or nil when it is undefined.
    func lookup(_ name: String) throws -> Value?
    /// Every variable's name (the `varnames` lookup); contexts that cannot list them return none.
    func variableNames() throws -> [String]
}

extension TemplateContext {
    public func variableNames() throws -> [String] { [] }
}

/// A context over a fixed set of variables.
public struct DictionaryContext: TemplateContext {
    public var variables: OrderedDictionary<String, Value>
    public init(_ vars: OrderedDictionary<String, Value>) { variables = vars }
    public func lookup(_ name: String) throws -> Value? { variables[name] }
    public func variableNames() throws -> [String] { Array(variables.keys) }
}

/// Jinja2 environment settings that change rendered output.
public struct TemplateOptions: Sendable, Hashable {
    /// Drop the first newline after a block tag (`{% ... %}`) or comment.
    public var trimBlocks: Bool
    /// Strip spaces and tabs before a block tag or comment that starts a line.
    public var lstripBlocks: Bool
    /// Keep a single trailing newline of the template (Jinja2's `keep_trailing_newline`).
    public var keepTrailingNewline: Bool
    /// Ansible's fix-up after rendering: if the template ends with more newlines than the output, append
    /// the difference (so `"{{ x }}\n"` keeps its newline without changing `{% include %}` behaviour).
    public var preserveTrailingNewlines: Bool
    /// Ansible's treatment of strings from YAML: inside `{{ }}`, backslashes in string literals are kept
    /// as written (`'\d+'` is backslash, d, plus), so playbook authors need one level of escaping, not two.
    /// Off for template files and for bare expressions (`when:`), as in Ansible.
    public var escapeBackslashes: Bool

    public init(trimBlocks: Bool = false, lstripBlocks: Bool = false, keepTrailingNewline: Bool = false,
                preserveTrailingNewlines: Bool = false, escapeBackslashes: Bool = false) {
        self.trimBlocks = trimBlocks
        self.lstripBlocks = lstripBlocks
        self.keepTrailingNewline = keepTrailingNewline
        self.preserveTrailingNewlines = preserveTrailingNewlines
        self.escapeBackslashes = escapeBackslashes
    }

    /// What Ansible uses for strings in playbooks, roles and variables: trim_blocks on, lstrip_blocks off,
    /// keep_trailing_newline off with trailing newlines restored afterwards, backslashes kept verbatim.
    public static let ansible = TemplateOptions(trimBlocks: true, lstripBlocks: false, keepTrailingNewline: false,
                                                preserveTrailingNewlines: true, escapeBackslashes: true)

    /// What the `template` module uses for template files by default (its `trim_blocks` / `lstrip_blocks`
    /// arguments change the first two): like `.ansible`, but string escapes such as `'\n'` are interpreted.
    public static let ansibleTemplateFile = TemplateOptions(trimBlocks: true, lstripBlocks: false, keepTrailingNewline: false,
                                                            preserveTrailingNewlines: true, escapeBackslashes: false)
    /// Plain Jinja2 defaults.
    public static let jinja = TemplateOptions()
}
