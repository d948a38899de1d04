import KeelBase

/// `notify` on a block reaches every task inside it that names no handler of its own, as Ansible's
/// Notifiable keyword inherits from a task's parent block (a nested block's own `notify` wins for its
/// tasks). Keel copies it down at load time, so the load-time handler check sees it at the block's
/// `notify:` and the engine needs no special case.
extension TaskNode {
    public func inheritingNotify(_ names: [String], location: SourceLocation?) -> TaskNode {
        switch self {
        case .task(var task):
            guard task.notify.isEmpty else { return self }
            task.notify = names
            task.notifyLocation = location
            return .task(task)
        case .block(var block):
            block.block = block.block.map { $0.inheritingNotify(names, location: location) }
            block.rescue = block.rescue.map { $0.inheritingNotify(names, location: location) }
            block.always = block.always.map { $0.inheritingNotify(names, location: location) }
            return .block(block)
        }
    }
}
