import KeelBase

/// Ansible only notices a notification for a handler that does not exist when the task changes
/// something; Keel checks every literal notification at load time, so a typo in `notify:` cannot hide
/// until the day the task finally changes.
extension Play {
    /// Every literal notification that names no handler of the play, in the order written.
    func unknownNotifications() -> [KeelError] {
        let handlers = allHandlers.flatMap(\.allTasks)
        // Handlers that are templated or brought in at run time cannot be known now: check nothing.
        let everything = (preTasks + tasks + postTasks + handlers.map(TaskNode.task)).flatMap(\.allTasks)
            + roleRuns.flatMap { $0.tasks.flatMap(\.allTasks) }
        if handlers.contains(where: { ($0.name.map(NodeReader.isTemplate) ?? false) || $0.action.hasPrefix("include_") })
            || everything.contains(where: { $0.action == "include_role" }) { return [] }
        var known = Set<String>()
        for handler in handlers {
            if let name = handler.name {
                known.insert(name)
                if let role = handler.role { known.insert("\(role.name) : \(name)") }
            }
            known.formUnion(handler.listen)
        }
        var problems: [KeelError] = []
        for task in everything {
            for name in task.notify where !NodeReader.isTemplate(name) && !known.contains(name) {
                problems.append(KeelError("handler '\(name)' not found", at: task.notifyLocation ?? task.location,
                                expected: "the name or a 'listen' topic of a handler of this play",
                                found: "'\(name)'", suggestion: closestName(to: name, among: known)))
            }
        }
        return problems
    }
}
