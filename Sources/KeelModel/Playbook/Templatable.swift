import KeelBase

/// A keyword value that is either known at load time or a template the engine renders per host
/// (`become: "{{ use_sudo }}"` is valid Ansible). Literal values are checked for type at load time.
public enum Templatable<T: Sendable & Hashable>: Sendable, Hashable {
    case value(T)
    case template(String)

    /// The literal value, or nil when it must be rendered first.
    public var literal: T? { if case .value(let v) = self { return v }; return nil }
}

/// One condition of `when`, `changed_when`, `failed_when` or `until`: a bare Jinja2 expression (as
/// written, un-rendered) and where it was written. Booleans are kept as "True"/"False", which Jinja2
/// evaluates to themselves.
public struct Conditional: Sendable, Hashable {
    public var expression: String
    public var location: SourceLocation

    public init(_ expression: String, at location: SourceLocation) {
        self.expression = expression
        self.location = location
    }
}
