import KeelBase

/// How a task loops: `loop:` or one of the `with_<lookup>:` forms, kept as written for the engine.
public struct LoopSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case loop
        /// `with_items`, `with_dict`, …: the lookup plugin's name ("items", "dict", "fileglob", …).
        case with(lookup: String)
    }

    public var kind: Kind
    /// A list, or a template string producing one (for `with_dict`, also a mapping).
    public var items: Value
    public var location: SourceLocation

    public init(kind: Kind, items: Value, location: SourceLocation) {
        self.kind = kind
        self.items = items
        self.location = location
    }
}

/// `loop_control:`; every field is optional and un-rendered.
public struct LoopControl: Sendable, Hashable {
    public var loopVar: String?
    public var indexVar: String?
    public var label: String?
    public var pause: Value?
    public var extended: Templatable<Bool>?
    public var extendedAllitems: Templatable<Bool>?
    public var breakWhen: [Conditional] = []
    public var location: SourceLocation

    public init(location: SourceLocation) { self.location = location }

    static let keys = ["loop_var", "index_var", "label", "pause", "extended", "extended_allitems", "break_when"]
}
