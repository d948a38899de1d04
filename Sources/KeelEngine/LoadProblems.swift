import KeelBase

/// Every problem found while checking the playbooks before any host was contacted, printed together so
/// one run shows all of them.
public struct LoadProblems: Error, CustomStringConvertible, Sendable {
    public var problems: [KeelError]
    /// Problems of files only dynamic includes read (they matter only if the include runs): `keel check`
    /// lists them as warnings next to the errors.
    public var deferred: [KeelError] = []

    public init(problems: [KeelError], deferred: [KeelError] = []) {
        self.problems = problems
        self.deferred = deferred
    }

    public var description: String {
        let count = problems.count == 1 ? "1 problem" : "\(problems.count) problems"
        return problems.map(\.description).joined(separator: "\n") + "\n\(count) found before any host was contacted"
    }
}
