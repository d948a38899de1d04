import KeelBase
import OrderedCollections

/// The git module's plan, pure: from the arguments and what the host and the remote have, the git
/// commands a real run makes (clone, fetch, checkout, ...) and the results Ansible reports. The command
/// lines follow ansible.builtin.git's (clone options, the refspecs a shallow fetch uses) so a checkout
/// made by either converges under the other.
struct GitPlanner {
    typealias Arguments = GitModule.Arguments
    let a: Arguments
    let observed: GitObservation
    let repo: String
    let environment: GitEnvironment
    var warnings: [String]

    init(arguments: Arguments, observed: GitObservation) throws {
        a = arguments
        self.observed = observed
        repo = GitModule.repositoryURL(arguments.repo)
        (environment, warnings) = try GitModule.environment(arguments)
    }

    func step(_ action: GitStep.Action, in dest: String) -> GitStep { GitStep(action: action, dest: dest, environment: environment) }

    mutating func plan() throws -> Plan<GitStep> {
        guard let dest = a.dest else { return try reportOnly() }
        guard let checkout = observed.checkout else { return try cloneInto(dest) }
        return try update(checkout, at: dest)
    }

    /// `clone: false` and no checkout: only the commit the remote has (Ansible reports this as changed,
    /// though nothing changes; Keel reports ok).
    func reportOnly() throws -> Plan<GitStep> {
        let (_, commit) = try target(checkout: nil)
        let values: OrderedDictionary<String, Value> = ["before": .null, "after": .string(commit)]
        return .unchanged(values: values.merging(warningValues) { $1 })
    }

    // MARK: - A new checkout

    mutating func cloneInto(_ dest: String) throws -> Plan<GitStep> {
        guard a.clone else { return try reportOnly() }
        let (kind, commit) = try target(checkout: nil)
        var arguments = ["clone"]
        arguments += a.bare ? ["--bare"] : ["--origin", a.remote]
        let branchOrTag = kind == .branch || kind == .tag
        if let depth = a.depth {
            if a.version == "HEAD" || a.refspec != nil { arguments += ["--depth", String(depth)] }
            else if branchOrTag { arguments += ["--depth", String(depth), "--branch", a.version] }
            else { warnings.append("Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.") }
        }
        if let reference = a.reference { arguments += ["--reference", reference] }
        if a.single_branch {
            arguments.append("--single-branch")
            if branchOrTag && !arguments.contains("--branch") { arguments += ["--branch", a.version] }
        }
        arguments += [repo, dest]
        let parent = Self.parent(of: dest)
        var steps = [step(.git(directory: parent, arguments: arguments, doing: "cannot clone \(repo) into \(dest)"), in: dest)]
        if a.bare && a.remote != "origin" {
            steps.append(step(.git(directory: dest, arguments: ["remote", "add", a.remote, repo], doing: "cannot add the remote \(a.remote)"), in: dest))
        }
        if let refspec = a.refspec {
            steps.append(step(.git(directory: dest, arguments: ["fetch"] + (a.depth.map { ["--depth", String($0)] } ?? []) + [a.remote, refspec],
                                   doing: "cannot fetch \(refspec)"), in: dest))
        }
        steps += switchSteps(kind: kind, dest: dest)
        var values: OrderedDictionary<String, Value> = ["before": .null, "after": .string(commit)]
        values.merge(warningValues) { $1 }
        return Plan(steps: steps, diffs: [Diff(label: "git \(dest)", before: "", after: "\(commit)\n")], values: values)
    }

    // MARK: - An existing checkout

    mutating func update(_ checkout: GitObservation.Checkout, at dest: String) throws -> Plan<GitStep> {
        let before: Value = checkout.head.map(Value.string) ?? .null
        guard a.update else {
            var values: OrderedDictionary<String, Value> = ["before": before, "after": before]
            values.merge(warningValues) { $1 }
            return Plan(steps: archiveSteps(dest: dest, moving: false, checkout: checkout), values: values)
        }
        if !checkout.modifications.isEmpty && !a.force {
            throw ModuleFailure(message: "Local modifications exist in the destination: \(dest) (force=no).",
                                values: ["before": before], changed: false)
        }
        let urlChanged = checkout.remoteURL.map { !Self.sameURL($0, repo) } ?? false
        let (kind, commit) = try target(checkout: checkout)
        let moving = commit != checkout.head
        var steps: [GitStep] = []
        if !checkout.modifications.isEmpty {
            steps.append(step(.git(directory: dest, arguments: ["reset", "--hard", "HEAD"], doing: "cannot discard the local modifications in \(dest)"), in: dest))
        }
        if urlChanged {
            steps.append(step(.git(directory: dest, arguments: ["remote", "set-url", a.remote, repo], doing: "cannot set the URL of \(a.remote) to \(repo)"), in: dest))
        }
        if moving || urlChanged {
            steps.append(step(.git(directory: dest, arguments: fetchArguments(kind: kind, checkout: checkout), doing: "cannot fetch from \(repo)"), in: dest))
        }
        if moving || !checkout.modifications.isEmpty {
            steps += switchSteps(kind: kind, dest: dest)
        } else if a.recursive && !a.bare && checkout.submodulesOutOfDate {
            steps.append(step(.updateSubmodules(track: a.track_submodules, force: a.force), in: dest))
        }
        steps += archiveSteps(dest: dest, moving: moving, checkout: checkout)
        var values: OrderedDictionary<String, Value> = ["before": before, "after": .string(commit),
                                                        "remote_url_changed": .bool(urlChanged)]
        if !checkout.modifications.isEmpty { values["msg"] = .string("Local modifications exist in the destination: \(dest)") }
        if checkout.submodulesOutOfDate && a.recursive && !a.bare { values["submodules_changed"] = .bool(true) }
        values.merge(warningValues) { $1 }
        let diffs = moving ? [Diff(label: "git \(dest)", before: "\(checkout.head ?? "")\n", after: "\(commit)\n")] : []
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    /// `git fetch` as ansible.builtin.git runs it: with depth, only the refs the version needs; otherwise
    /// everything with tags (a bare repository mirrors heads and tags).
    func fetchArguments(kind: VersionKind, checkout: GitObservation.Checkout) -> [String] {
        var arguments = ["fetch"]
        var refspecs: [String] = []
        let currentBranch = checkout.branch ?? checkout.remoteHeadBranch
        if let depth = a.depth {
            if let refspec = a.refspec { refspecs.append(refspec) }
            else if kind == .head, let currentBranch { refspecs.append(currentBranch) }
            else if kind == .branch {
                if currentBranch != a.version { refspecs.append("+refs/heads/\(a.version):refs/heads/\(a.version)") }
                refspecs.append("+refs/heads/\(a.version):refs/remotes/\(a.remote)/\(a.version)")
            } else if kind == .tag { refspecs.append("+refs/tags/\(a.version):refs/tags/\(a.version)") }
            if !refspecs.isEmpty { arguments += ["--depth", String(depth)] }
        }
        if a.depth == nil || refspecs.isEmpty {
            if a.bare { refspecs = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"] } else { arguments.append("--tags") }
            if let refspec = a.refspec { refspecs.append(refspec) }
        }
        if a.force { arguments.append("--force") }
        return arguments + [a.remote] + refspecs
    }

    /// After a clone or fetch: check the version out, verify it, update submodules, archive.
    func switchSteps(kind: VersionKind, dest: String) -> [GitStep] {
        guard !a.bare else { return archiveSteps(dest: dest, moving: true, checkout: nil) }
        var steps = [step(.checkout(remote: a.remote, version: a.version, kind: kind, depth: a.depth), in: dest)]
        if a.verify_commit { steps.append(step(.verify(version: a.version), in: dest)) }
        if a.recursive { steps.append(step(.updateSubmodules(track: a.track_submodules, force: a.force), in: dest)) }
        return steps + archiveSteps(dest: dest, moving: true, checkout: nil)
    }

    /// The archive is rewritten when the checkout moves, or when the file differs from what the checkout
    /// gives now.
    func archiveSteps(dest: String, moving: Bool, checkout: GitObservation.Checkout?) -> [GitStep] {
        guard let path = a.archive, let archive = try? GitArchive(path: path, prefix: a.archive_prefix) else { return [] }
        if !moving, let checkout, checkout.archiveOnDisk != nil, checkout.archiveOnDisk == checkout.archiveNow { return [] }
        return [step(.archive(archive, version: a.version), in: dest)]
    }

    // MARK: - What the version names

    /// The kind of `version` and the commit it names, from the remote's refs (and, for a commit id, the
    /// repository when it already has that commit).
    func target(checkout: GitObservation.Checkout?) throws -> (VersionKind, String) {
        let refs = observed.remote ?? RemoteRefs()
        if a.version == "HEAD" {
            if let checkout, let branch = checkout.branch ?? checkout.remoteHeadBranch, let commit = refs.branches[branch] {
                return (.head, commit)
            }
            guard let head = refs.head else { throw KeelError("Could not determine remote revision for HEAD: \(repo) has no HEAD") }
            return (.head, head)
        }
        if let commit = refs.branches[a.version] { return (.branch, commit) }
        if let commit = refs.tags[a.version] { return (.tag, commit) }
        if let local = checkout?.localCommit { return (.commit, local) }
        guard looksLikeCommitID(a.version) || a.refspec != nil else {
            throw KeelError("version '\(a.version)' is neither a branch nor a tag of \(repo), nor a commit id"
                            + " (branches: \(refs.branches.keys.sorted().prefix(10).joined(separator: ", ")))")
        }
        // A commit the repository does not have yet: Ansible takes it as given (it cannot be looked up on a remote).
        return (.commit, a.version)
    }

    var warningValues: OrderedDictionary<String, Value> {
        warnings.isEmpty ? [:] : ["warnings": .list(warnings.map(Value.string))]
    }

    static func sameURL(_ one: String, _ other: String) -> Bool {
        func normal(_ url: String) -> String {
            var text = url.hasPrefix("/") ? "file://" + url : url
            while text.hasSuffix("/") { text.removeLast() }
            return text
        }
        return normal(one) == normal(other)
    }

    static func parent(of path: String) -> String {
        let trimmed = path.hasSuffix("/") ? String(path.dropLast()) : path
        guard let slash = trimmed.lastIndex(of: "/") else { return "." }
        return slash == trimmed.startIndex ? "/" : String(trimmed[..<slash])
    }
}
