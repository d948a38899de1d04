import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import KeelTransport
import OrderedCollections
@testable import KeelModules

/// Two lab hosts for the git and release tests: `server` holds a bare repository served over SSH to the
/// user `git`; `client` clones it with a deploy key of its own and trusts the server's host key through a
/// known_hosts entry taken from the lab (the controller's record, not a scan of the network).
struct GitLab {
    let server: LabHost
    let client: LabModuleHost
    /// The repository as the client reaches it.
    let url: String
    /// The client's deploy key, as a server's authorized_keys lists it.
    let deployPublicKey: String
    static let bare = "/srv/git/app.git"
    static let work = "/root/app-work"
    static let deployKey = "/root/.ssh/deploy_key"

    static let shared = GitLabSetup()

    var lab: Lab { LabFixture.shared.lab }

    /// Runs a script on the server (nsenter); fails on a non-zero exit.
    @discardableResult
    func onServer(_ script: String) throws -> String {
        let result = try lab.exec(server.name, script)
        guard result.status == 0 else { throw KeelError("`\(script)` exited \(result.status) on \(server.name): \(result.stderr)") }
        return result.stdout
    }

    /// A bare repository on the server and the work tree its commits are made in.
    struct Repository: Sendable {
        let bare: String
        let work: String
    }

    static let sharedRepository = Repository(bare: bare, work: work)

    /// Commits `content` to `file` on `branch` in the repository's work tree and pushes it; returns the commit.
    @discardableResult
    func commit(_ file: String, _ content: String, branch: String = "main", tag: String? = nil,
                in repository: Repository = GitLab.sharedRepository) throws -> String {
        var script = """
            cd \(repository.work) && { git checkout -q \(branch) 2>/dev/null || git checkout -q -b \(branch); }
            printf '%s\\n' '\(content)' > \(file) && git add \(file) && git commit -q -m 'change \(file)'

            """
        if let tag { script += "git tag -a \(tag) -m 'release \(tag)'\n" }
        script += "git push -q origin \(branch) \(tag.map { "refs/tags/\($0)" } ?? "") && chown -R git:git /srv/git && git rev-parse HEAD\n"
        return try onServer(script).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A repository of its own (a copy of the shared one, with its own work tree), for a suite that runs
    /// beside the module tests, which push to the shared one meanwhile.
    func copyOfRepository(_ name: String) throws -> Repository {
        let copy = Repository(bare: "/srv/git/\(name).git", work: "/root/work-\(name)")
        try onServer("""
            set -e
            rm -rf \(copy.bare) \(copy.work)
            git clone -q --bare \(Self.bare) \(copy.bare) && git clone -q \(copy.bare) \(copy.work)
            cd \(copy.work) && git config user.email dev@lab.test && git config user.name Dev
            chown -R git:git \(copy.bare)
            """)
        return copy
    }

    func url(of path: String) -> String { "ssh://git@\(server.address)\(path)" }

    /// The commit a ref has in the bare repository.
    func serverCommit(_ ref: String) throws -> String {
        try onServer("git -C \(Self.bare) rev-parse '\(ref)^{commit}'").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func clientHead(_ dest: String) throws -> String {
        try client.sh("git -C \(dest) rev-parse HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The git module's arguments for a checkout of the lab repository with the deploy key.
    func arguments(_ dest: String, _ extra: OrderedDictionary<String, Value> = [:]) -> OrderedDictionary<String, Value> {
        var arguments: OrderedDictionary<String, Value> = ["repo": .string(url), "dest": .string(dest), "key_file": .string(Self.deployKey)]
        for (key, value) in extra { arguments[key] = value }
        return arguments
    }
}

/// Sets the two hosts up once per test process; each caller gets the client with a test directory of
/// its own (suites run side by side, and a test's snapshot must see only its own files).
actor GitLabSetup {
    private var setup: Task<GitLab, any Error>?

    func lab() async throws -> GitLab {
        // One setup, even when several suites ask at once (the actor is re-entered at each await).
        if setup == nil { setup = Task { try await Self.makeLab() } }
        let lab = try await setup!.value
        let root = "/root/keel-git-test-\(UUID().uuidString.prefix(8))"
        try lab.client.sh("mkdir -p \(root)")
        return GitLab(server: lab.server, client: LabModuleHost(lab: lab.client.lab, context: lab.client.context, root: root), url: lab.url,
                      deployPublicKey: lab.deployPublicKey)
    }

    private static func makeLab() async throws -> GitLab {
        let hosts = try await LabFixture.shared.hosts(2, prefix: "git")
        let server = hosts[0]
        let client = try await LabModuleHost.make(prefix: "git", index: 1)
        let lab = LabFixture.shared.lab
        func exec(_ host: String, _ script: String) throws -> String {
            let result = try lab.exec(host, script)
            guard result.status == 0 else { throw KeelError("setup on \(host) exited \(result.status): \(result.stderr)\n\(script)") }
            return result.stdout
        }
        // The client: a deploy key, and the server's host key as the lab knows it.
        let publicKey = try exec(client.lab.name, """
            mkdir -p /root/.ssh && chmod 700 /root/.ssh
            [ -f \(GitLab.deployKey) ] || ssh-keygen -q -t ed25519 -N '' -C deploy@client -f \(GitLab.deployKey)
            printf '%s\\n' '\(server.address) \(server.hostKey)' > /root/.ssh/known_hosts
            cat \(GitLab.deployKey).pub
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try exec(server.name, serverScript(deployKey: publicKey))
        return GitLab(server: server, client: client, url: "ssh://git@\(server.address)\(GitLab.bare)", deployPublicKey: publicKey)
    }

    /// Makes a lab host a git server: a `git` account that takes only the deploy key, a bare repository
    /// with one commit, and a work tree to commit from.
    static func serverScript(deployKey: String) -> String {
        """
        set -e
        git config --global --add safe.directory '*'
        id git >/dev/null 2>&1 || useradd -d /srv/git -s /bin/sh git
        usermod -p '*' git
        mkdir -p /srv/git/.ssh
        printf '%s\\n' '\(deployKey)' > /srv/git/.ssh/authorized_keys
        chmod 755 /srv/git; chmod 700 /srv/git/.ssh; chmod 600 /srv/git/.ssh/authorized_keys
        rm -rf \(GitLab.bare) \(GitLab.work)
        git init -q --bare -b main \(GitLab.bare)
        git init -q -b main \(GitLab.work)
        cd \(GitLab.work)
        git config user.email dev@lab.test; git config user.name Dev
        git remote add origin \(GitLab.bare)
        printf 'v1\\n' > VERSION; printf 'hello\\n' > README
        git add VERSION README; git commit -q -m first
        git push -q origin main
        chown -R git:git /srv/git
        """
    }
}
