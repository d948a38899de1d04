/// What `keel doc MODULE` prints besides the argument table built from the spec.
public struct ModuleDocumentation: Sendable {
    public var summary: String
    public var description: String
    public var examples: String
    /// Where Keel differs from the Ansible module of the same name.
    public var deviations: [String]

    public init(summary: String, description: String = "", examples: String = "", deviations: [String] = []) {
        self.summary = summary
        self.description = description
        self.examples = examples
        self.deviations = deviations
    }
}
