import KeelBase
import KeelTransport
import OrderedCollections

/// `git` (ansible.builtin.git): a checkout of a repository at a version (branch, tag or commit), with
/// Ansible's results (`before`, `after`, `remote_url_changed`) and changed rules: changed when the
/// checked-out commit moves, the remote URL changes, submodules move, or local modifications are
/// discarded (`force: true`; without it they fail the task, in check mode too).
///
/// Observation reads the checkout and lists the remote's refs with one `git ls-remote`; the plan
/// compares the commit the version names there with HEAD. So check mode predicts the commit a real run
/// moves to without fetching anything, and a converged checkout costs no fetch at all.
public struct GitModule: Module {
    public static let name = "git"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["accept_hostkey", "accept_newhostkey"]])
    public static let documentation = GitDocumentation.module

    public struct Arguments: ModuleArguments {
        @Option("repo", .string, required: true, aliases: ["name"], help: "git, SSH or HTTP(S) URL of the repository, or a path on the host.") var repo: String
        @Option("dest", .path, help: "Where the checkout goes (required unless clone=false).") var dest: String?
        @Option("version", .string, default: "HEAD", help: "What to check out: HEAD (the remote's default branch, or the branch already checked out), a branch, a tag, or a commit id.") var version: String
        @Option("remote", .string, default: "origin", help: "Name of the remote.") var remote: String
        @Option("refspec", .string, help: "Additional refspec to fetch (e.g. refs/pull/*/head), so version may name what it brings.") var refspec: String?
        @Option("reference", .string, help: "Reference repository for `git clone --reference`.") var reference: String?
        @Option("force", .bool, default: false, help: "Discard local modifications of tracked files instead of failing.") var force: Bool
        @Option("depth", .int, help: "Shallow clone and fetch with this many commits (HEAD, branches, tags, or with refspec).") var depth: Int?
        @Option("clone", .bool, default: true, help: "Clone when dest holds no repository; with false only the remote's commit is reported.") var clone: Bool
        @Option("update", .bool, default: true, help: "Move an existing checkout to the version; with false an existing checkout is left as it is.") var update: Bool
        @Option("verify_commit", .bool, default: false, help: "Fail unless the checked-out commit (or annotated tag) has a valid GPG signature from a key in the host's keyring.") var verify_commit: Bool
        @Option("accept_hostkey", .bool, default: false, help: "Add `-o StrictHostKeyChecking=no` to ssh: ANY host key is accepted (the result warns). Prefer a known_hosts entry or accept_newhostkey.") var accept_hostkey: Bool
        @Option("accept_newhostkey", .bool, default: false, help: "Add `-o StrictHostKeyChecking=accept-new`: an unknown host's key is recorded, a changed key still fails.") var accept_newhostkey: Bool
        @Option("key_file", .path, help: "Private key (on the host) for ssh URLs; used alone (IdentitiesOnly=yes).") var key_file: String?
        @Option("ssh_opts", .string, help: "Options added to the ssh command git runs (e.g. `-o UserKnownHostsFile=/etc/app/known_hosts`).") var ssh_opts: String?
        @Option("bare", .bool, default: false, help: "Make a bare repository (no working tree).") var bare: Bool
        @Option("recursive", .bool, default: true, help: "Initialise and update submodules (with --recursive).") var recursive: Bool
        @Option("single_branch", .bool, default: false, help: "Clone only the history leading to version.") var single_branch: Bool
        @Option("track_submodules", .bool, default: false, help: "Move submodules to the head of their remote branch instead of the commit the superproject records.") var track_submodules: Bool
        @Option("umask", .raw, help: "Quoted octal umask for the git commands (e.g. '0022').") var umask: Value?
        @Option("archive", .path, help: "Also write `git archive` of the version to this file (.tar, .tar.gz, .tgz or .zip), replaced only when it differs.") var archive: String?
        @Option("executable", .path, help: "Path of the git program on the host (default: git from PATH).") var executable: String?
        @Option("archive_prefix", .string, help: "Path prefix inside the archive (requires archive).") var archive_prefix: String?

        public init() {}
    }

    public typealias State = GitObservation
    public typealias Step = GitStep

    public init() {}

    /// The repository URL git is given: a path becomes a file:// URL, as Ansible does (shallow clones of
    /// local paths need it).
    static func repositoryURL(_ repo: String) -> String { repo.hasPrefix("/") ? "file://" + repo : repo }

    static func environment(_ a: Arguments) throws -> (GitEnvironment, [String]) {
        var umask: String?
        if let value = a.umask {
            guard case .string(let text) = value else {
                throw KeelError("umask must be defined as a quoted octal integer (found \(value.typeName) \(value))")
            }
            guard !text.isEmpty, text.count <= 4, text.allSatisfy({ ("0"..."7").contains($0) }) else {
                throw KeelError("umask must be an octal integer such as '0022' (found '\(text)')")
            }
            umask = text
        }
        return GitEnvironment.make(keyFile: a.key_file, sshOptions: a.ssh_opts, acceptHostKey: a.accept_hostkey,
                                   acceptNewHostKey: a.accept_newhostkey, umask: umask, gitPath: a.executable)
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> GitObservation {
        if a.dest == nil && a.clone { throw KeelError("the destination directory must be specified unless clone=no") }
        if a.archive_prefix != nil && a.archive == nil { throw KeelError("archive_prefix requires archive") }
        let (environment, _) = try Self.environment(a)
        let repo = Self.repositoryURL(a.repo)
        // The remote is asked only when the plan can need it: not for `update: false` on an existing checkout.
        let request = GitObservation.Request(
            dest: a.dest, bare: a.bare, remote: a.remote, version: a.version, repo: repo,
            listRemote: a.update ? .always : .unlessCheckoutExists,
            submodules: a.recursive, trackSubmodules: a.track_submodules,
            archive: try a.archive.map { try GitArchive(path: $0, prefix: a.archive_prefix) }, environment: environment)
        let script = GitObservation.script(request)
        let result = try await host.run(script)
        if result.status != 0 {
            throw KeelError("\(host.name): cannot read the checkout at \(a.dest ?? "-"): \(result.stderrText)")
        }
        let observed = try GitObservation.parse(result.stdoutText, repo: repo, host: host.name)
        guard observed.gitInstalled else {
            throw KeelError("\(host.name): " + (a.executable.map { "executable \($0) is not an executable file" }
                                                ?? "git is not installed (no `git` in PATH): install the git package first"))
        }
        return observed
    }

    public func plan(_ a: Arguments, observed: GitObservation, on host: HostContext) throws -> Plan<GitStep> {
        var planner = try GitPlanner(arguments: a, observed: observed)
        return try planner.plan()
    }

    public func apply(_ plan: Plan<GitStep>, on host: HostContext) async throws -> Applied {
        var archiveRewritten = false
        for step in plan.steps {
            let (script, failure) = step.script
            let result = try await host.runChecked(script, failure: failure, detail: .combined)
            if case .archive = step.action { archiveRewritten = !result.stdoutText.contains("same") }
        }
        guard let last = plan.steps.last else { return .unchanged() }
        let head = try await host.run(last.environment.prelude + "cd \(ShellQuote.quote(last.dest)) && git rev-parse --verify -q HEAD")
        let after = head.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)
        let values: OrderedDictionary<String, Value> = after.isEmpty ? [:] : ["after": .string(after)]
        // Ansible's rule, on what really happened: the commit moved, modifications were discarded, the
        // remote URL changed, submodules moved, or the archive was rewritten. (A version only a fetch could
        // resolve, such as an abbreviated commit id, is planned as a move and may turn out not to be one.)
        let moved = plan.values["before"] != .string(after)
        let resetOrURL = plan.steps.contains { step in
            if case .git(_, let arguments, _) = step.action { return arguments.first == "reset" || arguments.first == "remote" }
            return false
        }
        let submodules = plan.values["submodules_changed"] == .bool(true)
        return moved || resetOrURL || submodules || archiveRewritten ? .changed(values) : .unchanged(values)
    }
}
