import KeelBase
import OrderedCollections

/// Task-only keywords collected while walking a task's keys.
struct TaskFields {
    var name: String?
    var register: String?
    var notify: [String] = []
    var notifyLocation: SourceLocation?
    var listen: [String] = []
    var loopControl: LoopControl?
    var changedWhen: [Conditional] = []
    var failedWhen: [Conditional] = []
    var until: [Conditional] = []
    var retries: Templatable<Int>?
    var delay: Templatable<Int>?
    var asyncSeconds: Templatable<Int>?
    var poll: Templatable<Int>?

    func apply(to task: inout Task) {
        task.name = name
        task.register = register
        task.notify = notify
        task.notifyLocation = notifyLocation
        task.listen = listen
        task.loopControl = loopControl
        task.changedWhen = changedWhen
        task.failedWhen = failedWhen
        task.until = until
        task.retries = retries
        task.delay = delay
        task.asyncSeconds = asyncSeconds
        task.poll = poll
    }
}
