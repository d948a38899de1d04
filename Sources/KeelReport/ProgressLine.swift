/// The state behind the console's live progress line: which hosts have not finished the current task.
struct ProgressLine {
    private(set) var token = 0
    private var all: [String] = []
    private var pending: Set<String> = []
    var shown = false

    mutating func start(_ hosts: [String]) {
        token += 1
        all = hosts
        pending = Set(hosts)
    }

    mutating func finished(_ host: String) { pending.remove(host) }

    /// "waiting for 2 of 20 hosts: web07, web13", or nil when nothing is pending.
    var text: String? {
        guard !pending.isEmpty, !all.isEmpty else { return nil }
        let waiting = all.filter(pending.contains)
        let names = waiting.prefix(5).joined(separator: ", ") + (waiting.count > 5 ? ", ..." : "")
        return "waiting for \(waiting.count) of \(all.count) hosts: \(names)"
    }
}
