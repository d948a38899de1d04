import KeelBase
import KeelModel
import OrderedCollections

/// One task as a host will run it: the task, the keywords it inherits from its blocks, the block vars
/// gathered on the way down, and an identity that is the same for every host at the same task (so the
/// linear strategy can run them together).
final class TaskEntry: Sendable {
    // A class, not a struct: an entry is handed to every host's turn, the lookahead and the reporter, and
    // copying a struct of a task and its keywords retained and released every field each time.
    let task: Task
    /// The task's keywords with everything its enclosing blocks and imports gave it.
    let keywords: Keywords
    /// Vars of the enclosing blocks (Ansible's level 16); the task's own vars are in task.keywords.vars.
    let blockVars: OrderedDictionary<String, Value>
    let role: RoleRef?
    let id: String
    let isHandler: Bool
    /// The entry's name for the observation lookahead and its prefetched answers (ObservationLookahead.key):
    /// made once here, it was interpolated anew every time a task's answers were looked up.
    let lookaheadKey: String

    init(task: Task, keywords: Keywords, blockVars: OrderedDictionary<String, Value>, role: RoleRef?, id: String, isHandler: Bool) {
        self.task = task
        self.keywords = keywords
        self.blockVars = blockVars
        self.role = role
        self.id = id
        self.isHandler = isHandler
        lookaheadKey = "\(id)@\(task.location.file):\(task.location.line):\(task.location.column)"
    }
}

/// A host's position in a task list: a stack of blocks, each in its block, rescue or always section.
/// Failures move a host the way Ansible's do: a failure inside `block` continues in `rescue` (the host is
/// rescued), else in `always`, after which the failure goes on to the enclosing block; at the top the
/// host has failed.
final class HostIterator {
    enum Phase: String { case block, rescue, always }

    struct Frame {
        var block: Block
        var keywords: Keywords
        var blockVars: OrderedDictionary<String, Value>
        var role: RoleRef?
        var phase: Phase = .block
        var index = 0
        /// A failure waits for `always` to finish before it moves on.
        var pendingFailure = false
        var id: String
        var isRoot = false
        /// The task file a dynamic include read into this frame (to follow chains of includes).
        var includedFile: String?
        /// Frames one looped include pushed together share this: the items waiting below the running one are
        /// not part of its include chain.
        var siblingGroup: String?

        var current: [TaskNode] {
            switch phase {
            case .block: return block.block
            case .rescue: return block.rescue
            case .always: return block.always
            }
        }
    }

    enum FailureOutcome { case rescued, deferred, hostFailed }

    private var stack: [Frame] = []
    let isHandlerList: Bool
    /// Set when a failure reached the top of the list (possibly after an `always` section ran).
    private(set) var hostFailed = false

    init(tasks: [TaskNode], keywords: Keywords, id: String, isHandlerList: Bool = false) {
        self.isHandlerList = isHandlerList
        var root = Frame(block: Block(block: tasks, location: tasks.first?.location ?? SourceLocation(file: "", line: 0, column: 0)),
                         keywords: keywords, blockVars: [:], id: id)
        root.isRoot = true
        stack = [root]
    }

    var isFinished: Bool { stack.isEmpty }

    private init(copying other: HostIterator) {
        isHandlerList = other.isHandlerList
        stack = other.stack
        hostFailed = other.hostFailed
    }

    /// The tasks this host will run next if nothing fails and nothing is included, without moving: what
    /// the engine's lookahead observes ahead.
    func upcoming(limit: Int) -> [TaskEntry] {
        if ahead == nil { ahead = (entries: [], cursor: HostIterator(copying: self), reachesEnd: false) }
        while ahead!.entries.count < limit, !ahead!.reachesEnd {
            if let entry = ahead!.cursor.nextEntry() { ahead!.entries.append(entry) } else { ahead!.reachesEnd = true }
        }
        return Array((ahead?.entries ?? []).prefix(limit))
    }

    /// What `upcoming` found, and a copy of this iterator where it stopped (to find more from there), kept
    /// while the host moves through it task by task (every task of every host asks for the next 64): `next`
    /// drops the entry it returns; a failure or an insertion forgets it all.
    private var ahead: (entries: [TaskEntry], cursor: HostIterator, reachesEnd: Bool)?

    /// The next task for this host, descending into blocks; nil when the list is done.
    func next() -> TaskEntry? {
        let entry = nextEntry()
        if let entry, ahead?.entries.first?.id == entry.id {
            ahead?.entries.removeFirst()
        } else {
            ahead = nil
        }
        return entry
    }

    private func nextEntry() -> TaskEntry? {
        while var top = stack.last {
            let list = top.current
            if top.index < list.count {
                let node = list[top.index]
                let position = "\(top.id)/\(top.phase.rawValue)\(top.index)"
                top.index += 1
                stack[stack.count - 1] = top
                switch node {
                case .block(let block):
                    let keywords = top.keywords.applied(to: block.keywords)
                    var vars = top.blockVars
                    for (k, v) in block.keywords.vars { vars[k] = v }
                    stack.append(Frame(block: block, keywords: withoutVars(keywords), blockVars: vars,
                                       role: block.role ?? top.role, id: position))
                case .task(let task):
                    let keywords = top.keywords.applied(to: task.keywords)
                    var own = keywords
                    own.vars = task.keywords.vars
                    return TaskEntry(task: task, keywords: own, blockVars: top.blockVars, role: task.role ?? top.role,
                                     id: position, isHandler: isHandlerList)
                }
                continue
            }
            // This section is done.
            switch top.phase {
            case .block, .rescue:
                if !top.block.always.isEmpty {
                    top.phase = .always
                    top.index = 0
                    stack[stack.count - 1] = top
                    continue
                }
                stack.removeLast()
            case .always:
                stack.removeLast()
                if top.pendingFailure, propagate() == .hostFailed { stack.removeAll(); hostFailed = true; return nil }
            }
        }
        return nil
    }

    /// The task just returned by `next()` failed.
    func fail() -> FailureOutcome {
        ahead = nil
        let outcome = propagate()
        if outcome == .hostFailed { stack.removeAll(); hostFailed = true }
        return outcome
    }

    /// Moves the innermost frame to where a failure takes it.
    private func propagate() -> FailureOutcome {
        while var top = stack.last {
            if top.isRoot { return .hostFailed }
            switch top.phase {
            case .block where !top.block.rescue.isEmpty:
                top.phase = .rescue
                top.index = 0
                stack[stack.count - 1] = top
                return .rescued
            case .block, .rescue:
                if !top.block.always.isEmpty {
                    top.phase = .always
                    top.index = 0
                    top.pendingFailure = true
                    stack[stack.count - 1] = top
                    return .deferred
                }
                stack.removeLast()
            case .always:
                stack.removeLast()
            }
        }
        return .hostFailed
    }

    /// Runs `tasks` next (a dynamic include), as a block carrying the include's keywords and vars.
    /// One include's tasks, to run next (Insertion), for `insert(_:)`.
    struct Insertion {
        var tasks: [TaskNode]
        var keywords: Keywords
        var vars: OrderedDictionary<String, Value>
        var role: RoleRef?
        var id: String
        var file: String?
    }

    /// The includes of one task (one per loop item) run next, in the loop's order, each in its own frame
    /// made from the frame the including task is in (not from one another).
    func insert(_ insertions: [Insertion], group: String) {
        guard !insertions.isEmpty, let top = stack.last else { return }
        ahead = nil
        let frames = insertions.map { frame(for: $0, from: top, group: insertions.count > 1 ? group : nil) }
        stack.append(contentsOf: frames.reversed())
    }

    func insert(_ tasks: [TaskNode], keywords: Keywords, vars: OrderedDictionary<String, Value>, role: RoleRef?, id: String,
                file: String? = nil) {
        insert([Insertion(tasks: tasks, keywords: keywords, vars: vars, role: role, id: id, file: file)], group: id)
    }

    private func frame(for insertion: Insertion, from top: Frame, group: String?) -> Frame {
        let (tasks, keywords, vars, role, id, file) = (insertion.tasks, insertion.keywords, insertion.vars, insertion.role, insertion.id, insertion.file)
        var block = Block(block: tasks, location: tasks.first?.location ?? top.block.location)
        block.role = role
        var blockVars = top.blockVars
        // The include's own `vars:` reach its tasks (as in Ansible), then the loop's variables.
        for (k, v) in keywords.vars { blockVars[k] = v }
        for (k, v) in vars { blockVars[k] = v }
        var frame = Frame(block: block, keywords: withoutVars(top.keywords.applied(to: keywords)), blockVars: blockVars,
                          role: role ?? top.role, id: id)
        frame.includedFile = file
        frame.siblingGroup = group
        return frame
    }

    /// The files of the dynamic includes this host is inside, outermost first (of a looped include, only
    /// the item running, not those waiting below it).
    var includeChain: [String] {
        stack.indices.compactMap { index in
            let frame = stack[index]
            if let group = frame.siblingGroup, index + 1 < stack.count, stack[index + 1].siblingGroup == group { return nil }
            return frame.includedFile
        }
    }

    /// Ends this host's list (meta: end_play / end_host).
    func stop() { stack.removeAll(); ahead = nil }

    private func withoutVars(_ keywords: Keywords) -> Keywords {
        var k = keywords
        k.vars = [:]
        return k
    }
}
