import KeelBase

/// The fields of an object that differ between what the task wants and what the host has, each marked
/// with whether changing it needs the object recreated (Terraform's RequiresReplace): a container's image
/// or its ports cannot be changed in place, its restart policy can. A plan carries these so the diff and
/// the printed plan name each field, and a module decides between "update" and "replace" from one place.
public struct FieldChanges: Sendable, Codable, Equatable {
    public struct Change: Sendable, Codable, Equatable {
        public var field: String
        /// What the host has, as text ("" when it has nothing).
        public var before: String
        /// What the task wants, as text.
        public var after: String
        public var forcesReplacement: Bool

        public init(field: String, before: String, after: String, forcesReplacement: Bool) {
            self.field = field
            self.before = before
            self.after = after
            self.forcesReplacement = forcesReplacement
        }
    }

    public private(set) var changes: [Change] = []

    public init() {}

    /// Records `field` when the task sets it (`desired` not nil) and the host differs. An absent
    /// observation counts as different. `render` turns a value into the text shown in diffs.
    public mutating func compare<T: Equatable>(_ field: String, desired: T?, observed: T?, requiresReplace: Bool = false,
                                               render: (T) -> String = { String(describing: $0) }) {
        guard let desired, desired != observed else { return }
        changes.append(Change(field: field, before: observed.map(render) ?? "", after: render(desired),
                              forcesReplacement: requiresReplace))
    }

    public var isEmpty: Bool { changes.isEmpty }
    /// True when any differing field can only be changed by recreating the object.
    public var requiresReplace: Bool { changes.contains { $0.forcesReplacement } }
    /// The fields that force recreation, for messages ("image, ports").
    public var replacingFields: [String] { changes.filter(\.forcesReplacement).map(\.field) }

    /// One line per field: `~ image: nginx:1.25 -> nginx:1.27 (forces replacement)`.
    public func describe() -> [String] {
        changes.map { "~ \($0.field): \($0.before.isEmpty ? "(none)" : $0.before) -> \($0.after)"
            + ($0.forcesReplacement ? " (forces replacement)" : "") }
    }

    /// A before/after view for `--diff`, one `field: value` line per differing field.
    public func diff(label: String) -> Diff {
        Diff(label: label,
             before: changes.map { "\($0.field): \($0.before)\n" }.joined(),
             after: changes.map { "\($0.field): \($0.after)\($0.forcesReplacement ? "  # forces replacement" : "")\n" }.joined())
    }
}
