/// Which variables a control action defines, as a check that runs before any host can know them
/// (`keel check`'s undefined variables): the engine reads this instead of knowing actions by name.
public enum VariableDefinitions: Sendable, Equatable {
    /// Defines nothing the task's later readers could use (debug, assert, ...).
    case none
    /// Every argument's key is a variable (set_fact; add_host's for the new host).
    case argumentKeys
    /// The variables of a YAML or JSON file named by the first of `options` the task gives; with
    /// `nestedUnder` given, all of them under that one name instead.
    case file(options: [String], nestedUnder: String?)
}
