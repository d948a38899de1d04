import Foundation
import KeelBase

/// What `keel play --check --plan-out FILE` saves and `keel apply FILE` applies: how the run was made
/// (playbooks, inventory, limit, tags, become), and per host every task in the order it ran, with its
/// predicted status and the digest of its planned steps. No contents, variables or secrets: a reviewer
/// reads the diffs in the check run's output; the plan only lets `apply` prove that the hosts are still
/// where the review saw them.
public struct SavedPlan: Codable, Sendable, Equatable {
    public static let currentFormat = 1

    public var format = SavedPlan.currentFormat
    public var created: String
    /// Absolute paths, so `keel apply` works from any directory.
    public var playbooks: [String]
    public var inventory: [String]
    public var limit: String?
    public var tags: [String]
    public var skipTags: [String]
    public var become: Bool
    public var becomeUser: String?
    /// The names (never the values) of the extra variables the plan was made with: apply needs them again.
    public var extraVarNames: [String]
    public var hosts: [String: [PlannedTask]]

    public struct PlannedTask: Codable, Sendable, Equatable {
        /// The task's place in the host's run: file:line:column, loop item, and how many times it ran before.
        public var key: String
        public var task: String
        public var status: String
        /// The digest of the planned steps; nil for actions without a plan (set_fact, debug, commands
        /// skipped in check mode), which apply cannot verify.
        public var digest: String?
    }

    public init(options: RunOptions, playbooks: [String], hosts: [String: [PlannedTask]]) {
        let cwd = FileManager.default.currentDirectoryPath
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") || path.contains(",") ? path : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: cwd, isDirectory: true)).standardizedFileURL.path
        }
        created = ISO8601DateFormatter().string(from: Date())
        self.playbooks = playbooks.map(absolute)
        inventory = options.inventorySources.map(absolute)
        limit = options.limit
        tags = options.tags
        skipTags = options.skipTags
        become = options.become
        becomeUser = options.becomeUser
        extraVarNames = Array(options.extraVars.keys)
        self.hosts = hosts
    }

    public static func read(_ path: String) throws -> SavedPlan {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeelError("cannot read the plan '\(path)'", expected: "a file written by keel play --check --plan-out")
        }
        let plan: SavedPlan
        do {
            plan = try JSONDecoder().decode(SavedPlan.self, from: data)
        } catch {
            throw KeelError("'\(path)' is not a Keel plan: \(error)", expected: "a file written by keel play --check --plan-out")
        }
        guard plan.format == currentFormat else {
            throw KeelError("the plan '\(path)' has format \(plan.format); this keel reads format \(currentFormat)")
        }
        return plan
    }

    /// Written with mode 0600 and renamed into place, like every file Keel writes.
    public func write(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data = try encoder.encode(self)
        let temporary = path + ".keel-\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: 0o600]) else {
            throw KeelError("cannot write the plan to '\(path)'")
        }
        if rename(temporary, path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: temporary)
            throw KeelError("cannot write the plan to '\(path)': \(reason)")
        }
    }

    /// Why `host` no longer matches: the first differing tasks, in run order; empty when it matches.
    public func differences(for host: String, now: [PlannedTask]) -> [String] {
        let planned = hosts[host] ?? []
        var reasons: [String] = []
        for index in 0..<max(planned.count, now.count) {
            let before = index < planned.count ? planned[index] : nil
            let after = index < now.count ? now[index] : nil
            switch (before, after) {
            case let (b?, a?) where b.key != a.key:
                reasons.append("the run took another path at '\(a.task)' (\(a.key)); the plan had '\(b.task)' (\(b.key)) there")
                return reasons
            case let (b?, a?) where b.status != a.status || (b.digest != nil && a.digest != nil && b.digest != a.digest):
                let what = b.status == a.status ? "what it finds on the host or would do differs from the plan" : "planned: \(b.status), now: \(a.status)"
                reasons.append("task '\(a.task)' (\(a.key)): \(what)")
            case let (b?, nil):
                reasons.append("task '\(b.task)' (\(b.key)) was planned but does not run now")
            case let (nil, a?):
                reasons.append("task '\(a.task)' (\(a.key)) runs now but was not planned")
            default:
                break
            }
        }
        return reasons
    }
}
