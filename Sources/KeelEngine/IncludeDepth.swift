import KeelBase

/// A bound on nested dynamic includes. `include_tasks` may include itself on purpose (a recursion that a
/// `when:` ends), so a file seen twice is not an error by itself; but a.yml including b.yml including
/// a.yml with nothing to stop it grew without end (9.6 GB in 20 s). Ansible stops such a chain when
/// Python's recursion limit is reached; Keel stops it at a fixed depth and names the chain of files.
enum IncludeDepth {
    /// Deeper chains than this fail the host. Far above what real playbooks nest, far below a memory problem.
    static let limit = 64

    static func check(_ chain: [String], including file: String, at location: SourceLocation) throws {
        guard chain.count >= limit else { return }
        let full = chain + [file]
        // The shortest repeating part tells the user where the cycle is.
        let cycle = chain.lastIndex(of: file).map { Array(chain[$0...]) + [file] } ?? full
        throw KeelError("include_tasks/include_role nested more than \(limit) deep: an include cycle", at: location,
                        expected: "a chain of includes that ends (a `when:` that stops a file including itself)",
                        found: "the cycle " + cycle.joined(separator: " -> ")
                            + " (\(full.count) nested includes, starting with \(full[0]))")
    }
}
