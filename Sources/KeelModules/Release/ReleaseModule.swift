import KeelBase
import KeelTransport
import OrderedCollections

/// `release`: Capistrano's release directories (community.general.deploy_helper is the Ansible anchor).
///
///     PATH/releases/ID     one directory per release (a git checkout, an unpacked build)
///     PATH/shared/...      files and directories every release links to (config, uploads, logs)
///     PATH/current         -> releases/ID, switched atomically
///     PATH/history         one line per switch or rollback: the host's own record
///
/// `state: present` makes the layout; `state: switched` links the shared items into the release, runs
/// `validate` inside it, switches `current` and keeps `keep` old releases; `state: rollback` switches back
/// to the previous release (or the one named). Check mode predicts every step, as the plan lists them.
public struct ReleaseModule: Module {
    public static let name = "release"
    public static let spec = ArgumentSpec(Arguments.self, requiredIf: [RequiredIf("state", is: "switched", requires: ["release"])])
    public static let documentation = ReleaseDocumentation.module

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, help: "The application's root: releases/, shared/, current and history live here.") var path: String
        @Option("state", choices: ReleaseState.self, default: .present, help: "`present`: the layout exists. `switched`: current points at release (after linking and validating it). `rollback`: current goes back to the previous release, or to release when given.") var state: ReleaseState
        @Option("release", .string, format: .word, help: "The release id: a directory name under releases/ (a commit, a tag, a timestamp).") var release: String?
        @Option("shared_files", .list(.string), default: .list([]), help: "Files under shared/ linked into each release at the same relative path (they must exist in shared/).") var shared_files: [String]
        @Option("shared_dirs", .list(.string), default: .list([]), help: "Directories under shared/ (created when missing) linked into each release at the same relative path.") var shared_dirs: [String]
        @Option("validate", .string, help: "Shell command run inside the release before the switch; when it fails, current is not touched.") var validate: String?
        @Option("keep", .int, default: 5, help: "Old releases kept besides the current one (the previous one is always kept).") var keep: Int

        public init() {}
    }

    public enum ReleaseState: String, OptionChoice { case present, switched, rollback }

    public typealias State = ReleaseObservation
    public typealias Step = ReleaseStep

    public init() {}

    static func checkName(_ text: String, what: String) throws {
        if text.isEmpty || text == "." || text == ".." || text.contains("/") || text.hasPrefix("-") {
            throw KeelError("\(what) must be a directory name (no '/', not '.' or '..', not starting with '-'): found '\(text)'")
        }
    }

    static func checkRelative(_ item: String) throws {
        let parts = item.split(separator: "/", omittingEmptySubsequences: false)
        if item.hasPrefix("/") || item.isEmpty || parts.contains("..") || parts.contains(".") || parts.contains("") {
            throw KeelError("shared items are paths relative to shared/ without '.', '..' or empty parts: found '\(item)'")
        }
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> ReleaseObservation {
        if let release = a.release { try Self.checkName(release, what: "release") }
        for item in a.shared_files + a.shared_dirs { try Self.checkRelative(item) }
        if a.keep < 0 { throw KeelError("keep must be 0 or more: found \(a.keep)") }
        let script = ReleaseObservation.script(path: a.path, release: a.release, shared: a.shared_files + a.shared_dirs)
        let result = try await host.runChecked(script, failure: "cannot read the releases under \(a.path)")
        return ReleaseObservation.parse(result.stdoutText)
    }

    public func plan(_ a: Arguments, observed o: ReleaseObservation, on host: HostContext) throws -> Plan<ReleaseStep> {
        if o.currentIsNotALink { throw KeelError("\(a.path)/current exists and is not a symlink: move it away; the release module switches a symlink") }
        var steps: [ReleaseStep] = []
        if !o.missingDirectories.isEmpty { steps.append(.makeDirectories(o.missingDirectories)) }
        let existing = Set(o.releases)

        var target: String?
        var action = "switch"
        switch a.state {
        case .present:
            target = nil
        case .switched:
            target = a.release
        case .rollback:
            action = "rollback"
            if let release = a.release {
                guard existing.contains(release) else {
                    throw KeelError("cannot roll back to \(release): there is no \(a.path)/releases/\(release) (releases: \(o.releases.joined(separator: ", ")))")
                }
                target = release
            } else {
                guard let previous = o.history.previous(current: o.current, existing: existing) else {
                    throw KeelError("cannot roll back: \(a.path)/history has no release before \(o.current ?? "the current one") that still exists")
                }
                target = previous
            }
        }

        var removed: [String] = []
        var previousAfter = o.history.previous(current: o.current, existing: existing)
        if let target {
            let releaseDirectory = "\(a.path)/releases/\(target)"
            if a.state == .switched {
                let links = a.shared_files.map { ReleaseStep.SharedLink(link: "\(releaseDirectory)/\($0)", target: "\(a.path)/shared/\($0)", directory: false) }
                    + a.shared_dirs.map { ReleaseStep.SharedLink(link: "\(releaseDirectory)/\($0)", target: "\(a.path)/shared/\($0)", directory: true) }
                let wrong = links.filter { link in
                    let item = String(link.link.dropFirst(releaseDirectory.count + 1))
                    return !o.releaseExists || o.links[item] != link.target
                }
                if !wrong.isEmpty || !o.releaseExists { steps.append(.linkShared(release: releaseDirectory, links: wrong)) }
            }
            if o.current != target {
                if let validate = a.validate { steps.append(.validate(release: releaseDirectory, command: validate)) }
                steps.append(.switchCurrent(path: a.path, release: target, action: action))
                previousAfter = a.state == .rollback && a.release == nil ? o.history.previous(current: target, existing: existing) : o.current
            }
            // Old releases beyond `keep`, never the new current one nor the previous one.
            let old = o.history.byRecency(o.releases.filter { $0 != target && $0 != previousAfter })
            let keepOthers = max(0, a.keep - (previousAfter == nil ? 0 : 1))
            removed = Array(old.dropFirst(keepOthers))
            if !removed.isEmpty { steps.append(.removeReleases(path: a.path, releases: removed)) }
        }

        let current = target ?? o.current
        let values: OrderedDictionary<String, Value> = [
            "path": .string(a.path),
            "releases_path": .string("\(a.path)/releases"),
            "shared_path": .string("\(a.path)/shared"),
            "current_path": .string("\(a.path)/current"),
            "current_release": current.map(Value.string) ?? .null,
            "previous_release": (target == nil ? o.history.previous(current: o.current, existing: existing) : previousAfter).map(Value.string) ?? .null,
            "release_path": (a.release ?? target).map { .string("\(a.path)/releases/\($0)") } ?? .null,
            "removed_releases": .list(removed.map(Value.string)),
        ]
        let diffs = o.current != current ? [Diff(label: "\(a.path)/current", before: o.current.map { "releases/\($0)\n" } ?? "",
                                                  after: current.map { "releases/\($0)\n" } ?? "")] : []
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<ReleaseStep>, on host: HostContext) async throws -> Applied {
        for (index, step) in plan.steps.enumerated() {
            let result = try await host.run(step.script)
            guard result.status != 0 else { continue }
            if case .validate(let release, let command) = step {
                throw ModuleFailure(
                    message: "validate failed in \(release) (`\(command)` exited \(result.status)): current was not switched",
                    values: ["rc": .int(Int(result.status)), "stdout": .string(result.stdoutText), "stderr": .string(result.stderrText)],
                    changed: index > 0)
            }
            throw ModuleFailure(message: "\(host.name): cannot \(step.description): " + HostContext.describeFailure(result, detail: .combined),
                                changed: index > 0)
        }
        return .changed()
    }
}
