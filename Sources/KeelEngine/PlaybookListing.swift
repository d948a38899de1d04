import Foundation
import KeelModel

/// ansible-playbook's --list-hosts, --list-tasks and --list-tags, in its format, from loaded playbooks:
/// per playbook a `playbook:` line, per play its number, pattern, name and tags, then the hosts the
/// pattern (and --limit) select, the tasks --tags/--skip-tags leave with the tags each inherits, and the
/// union of those tags. Nothing connects to a host. Tasks are listed as loaded: static imports and
/// roles expanded, dynamic includes as the include task itself, handlers and fact gathering left out.
public struct PlaybookListing {
    public var hosts = false
    public var tasks = false
    public var tags = false

    public init(hosts: Bool = false, tasks: Bool = false, tags: Bool = false) {
        self.hosts = hosts
        self.tasks = tasks
        self.tags = tags
    }

    public func text(_ playbooks: [Playbook], inventory: Inventory, options: RunOptions) throws -> String {
        // As ansible-playbook: --list-tags without --tags/--skip-tags lists every tag, `never` included.
        let listsEverything = tags && options.tags.isEmpty && options.skipTags.isEmpty
        let filter = TagFilter(only: listsEverything ? ["never", "all"] : Set(options.tags), skip: Set(options.skipTags))
        var out = ""
        for playbook in playbooks {
            out += "\nplaybook: \(playbook.path)\n"
            for (index, play) in playbook.plays.enumerated() {
                let pattern = play.hosts.joined(separator: ",")
                let playTags = Set(play.keywords.tags)
                out += "\n  play #\(index + 1) (\(pattern)): \(play.name ?? pattern)\tTAGS: [\(playTags.sorted().joined(separator: ","))]\n"
                if hosts {
                    var selected = try inventory.select(pattern: pattern, limit: options.limit)
                    if selected.isEmpty, play.hosts.contains("localhost") { selected = ["localhost"] }
                    out += "    pattern: [\(play.hosts.map { "'\($0)'" }.joined(separator: ", "))]\n    hosts (\(selected.count)):\n"
                    for host in selected { out += "      \(host)\n" }
                }
                guard tasks || tags else { continue }
                if tasks { out += "    tasks:\n" }
                var allTags = Set<String>()
                let sections = play.preTasks + play.roleRuns.map { TaskNode.block($0.taskBlock) } + play.tasks + play.postTasks
                for (task, inherited) in Self.flatten(sections, tags: play.keywords.tags) where filter.selects(inherited) {
                    allTags.formUnion(task.keywords.tags)
                    allTags.formUnion(inherited)
                    guard tasks else { continue }
                    let shown = task.name.map { name in task.role.map { "\($0.name) : \(name)" } ?? name } ?? task.writtenAction
                    out += "      \(shown)\tTAGS: [\(Set(inherited).sorted().joined(separator: ", "))]\n"
                }
                if tags { out += "      TASK TAGS: [\(allTags.union(playTags).sorted().joined(separator: ", "))]\n" }
            }
        }
        return out
    }

    /// Every task in order with the tags it carries: its own and those of every block, role entry and
    /// import above it (tags add up downwards, as in Ansible).
    static func flatten(_ nodes: [TaskNode], tags: [String]) -> [(Task, [String])] {
        nodes.flatMap { node -> [(Task, [String])] in
            let here = tags + node.keywords.tags.filter { !tags.contains($0) }
            switch node {
            case .task(let task): return [(task, here)]
            case .block(let block): return flatten(block.block + block.rescue + block.always, tags: here)
            }
        }
    }
}
