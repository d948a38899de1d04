import Foundation
import Synchronization

/// `--start-at-task`: until the first task whose name matches has been reached (by any host), tasks are
/// skipped silently, as ansible-playbook does. Matching follows Ansible: the task's name, its
/// "role : name" form, or either as a shell glob.
final class StartAtTask: Sendable {
    private let pattern: String?
    private let reached: Mutex<Bool>

    init(pattern: String?) {
        self.pattern = pattern
        reached = Mutex(pattern == nil)
    }

    /// True while no task has matched yet.
    var isPending: Bool { !reached.withLock { $0 } }

    /// Whether the task may run: once one matches, every later task may.
    func admits(name: String?, role: String?) -> Bool {
        if reached.withLock({ $0 }) { return true }
        guard let pattern, let name else { return false }
        let candidates = [name] + (role.map { ["\($0) : \(name)"] } ?? [])
        let matches = candidates.contains { $0 == pattern || fnmatch(pattern, $0, 0) == 0 }
        if matches { reached.withLock { $0 = true } }
        return matches
    }
}
