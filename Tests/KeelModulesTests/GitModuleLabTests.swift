import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// The git module against a real git server: a bare repository on one lab host, cloned over SSH by
/// another with a deploy key and a verified host key.
@Suite("git module over SSH between lab hosts", .serialized) struct GitModuleLabTests {
    /// A new path inside the client's test directory (which `expectConverges` snapshots).
    func fresh(_ name: String, in git: GitLab) -> String { "\(git.client.root)/\(name)-\(UUID().uuidString.prefix(6))" }

    @Test func aCloneConvergesAndANewCommitIsExactlyOneChangeWithBeforeAndAfter() async throws {
        let git = try await GitLab.shared.lab()
        let dest = fresh("follow", in: git)
        let first = try git.serverCommit("main")

        let predicted = try await git.client.run(GitModule.self, git.arguments(dest), .check)
        #expect(predicted.changed && !predicted.failed, "\(predicted.message ?? "")")
        #expect(predicted.values["after"] == .string(first))
        #expect(predicted.values["before"] == .null)
        #expect(try git.client.sh("[ -e \(dest) ] && echo exists || echo absent") == "absent\n", "check mode created the checkout")

        let cloned = try await git.client.run(GitModule.self, git.arguments(dest))
        #expect(cloned.changed && !cloned.failed, "\(cloned.message ?? "")")
        #expect(cloned.values["after"] == .string(first))
        #expect(try git.clientHead(dest) == first)
        #expect(try git.client.sh("cat \(dest)/README") == "hello\n")
        let again = try await git.client.run(GitModule.self, git.arguments(dest))
        #expect(!again.changed && !again.failed, "second run: \(again.message ?? "") \(again.values)")
        #expect(again.values["before"] == .string(first) && again.values["after"] == .string(first))

        let second = try git.commit("VERSION", "v-follow-\(UUID().uuidString.prefix(4))")
        let check = try await git.client.run(GitModule.self, git.arguments(dest), .check)
        #expect(check.changed)
        #expect(check.values["before"] == .string(first) && check.values["after"] == .string(second))
        #expect(try git.clientHead(dest) == first, "check mode moved the checkout")
        #expect(try git.client.sh("git -C \(dest) cat-file -t \(second) 2>/dev/null || echo missing") == "missing\n", "check mode fetched into the tree")

        let moved = try await git.client.run(GitModule.self, git.arguments(dest))
        #expect(moved.changed && !moved.failed, "\(moved.message ?? "")")
        #expect(moved.values["before"] == .string(first) && moved.values["after"] == .string(second))
        #expect(moved.values["remote_url_changed"] == .bool(false))
        #expect(moved.diffs == check.diffs)
        #expect(try git.clientHead(dest) == second)
        let settled = try await git.client.run(GitModule.self, git.arguments(dest))
        #expect(!settled.changed, "a run after the move changed again")
        #expect(try await git.client.run(GitModule.self, git.arguments(dest), .check).changed == false)
    }

    @Test func localModificationsFailWithoutForceAndAreDiscardedWithForce() async throws {
        let git = try await GitLab.shared.lab()
        let dest = fresh("mods", in: git)
        _ = try await git.client.run(GitModule.self, git.arguments(dest))
        try git.client.sh("printf 'untracked\\n' > \(dest)/notes.txt")
        let untrackedOnly = try await git.client.run(GitModule.self, git.arguments(dest))
        #expect(!untrackedOnly.failed && !untrackedOnly.changed, "untracked files are not modifications: \(untrackedOnly.message ?? "")")

        try git.client.sh("printf 'edited on the host\\n' > \(dest)/README")
        for mode in [RunMode.check, .apply] {
            let refused = await git.client.outcome(GitModule.self, git.arguments(dest), mode)
            #expect(refused.failed)
            #expect(refused.message?.contains("Local modifications exist in the destination: \(dest) (force=no).") == true, "\(refused.message ?? "")")
            #expect(try git.client.sh("cat \(dest)/README") == "edited on the host\n", "a refused run touched the file")
        }

        let predicted = try await git.client.run(GitModule.self, git.arguments(dest, ["force": true]), .check)
        #expect(predicted.changed && !predicted.failed)
        #expect(try git.client.sh("cat \(dest)/README") == "edited on the host\n", "check mode discarded the modification")
        let forced = try await git.client.run(GitModule.self, git.arguments(dest, ["force": true]))
        #expect(forced.changed && !forced.failed, "\(forced.message ?? "")")
        #expect(try git.client.sh("cat \(dest)/README") == "hello\n")
        #expect(try git.client.sh("cat \(dest)/notes.txt") == "untracked\n", "force removed an untracked file")
        #expect(try await git.client.run(GitModule.self, git.arguments(dest, ["force": true])).changed == false)
    }

    @Test func depthOneATagAndACommitIdAllCheckOutAndConverge() async throws {
        let git = try await GitLab.shared.lab()
        let tagged = try git.commit("VERSION", "v-tag-\(UUID().uuidString.prefix(4))", tag: "t\(UUID().uuidString.prefix(6).lowercased())")
        let tag = try git.onServer("git -C \(GitLab.work) describe --tags --exact-match HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        let firstCommit = try git.onServer("git -C \(GitLab.bare) rev-list --max-parents=0 main").trimmingCharacters(in: .whitespacesAndNewlines)
        let head = try git.serverCommit("main")

        let shallow = fresh("depth", in: git)
        try await git.client.expectConverges(GitModule.self, git.arguments(shallow, ["depth": 1]))
        #expect(try git.client.sh("git -C \(shallow) rev-list --count HEAD") == "1\n")
        #expect(try git.clientHead(shallow) == head)

        let byTag = fresh("tag", in: git)
        let tagRun = try await git.client.expectConverges(GitModule.self, git.arguments(byTag, ["version": .string(tag)]))
        #expect(tagRun.values["after"] == .string(tagged), "an annotated tag checks out its commit")
        #expect(try git.clientHead(byTag) == tagged)

        let byCommit = fresh("commit", in: git)
        let commitRun = try await git.client.expectConverges(GitModule.self, git.arguments(byCommit, ["version": .string(firstCommit)]))
        #expect(commitRun.values["after"] == .string(firstCommit))
        #expect(try git.client.sh("cat \(byCommit)/VERSION") == "v1\n")

        let shallowTag = fresh("depthtag", in: git)
        try await git.client.expectConverges(GitModule.self, git.arguments(shallowTag, ["version": .string(tag), "depth": 1]))
        #expect(try git.clientHead(shallowTag) == tagged)
    }

    @Test func aChangedHostKeyFailsTheCloneEvenWithAcceptNewHostKey() async throws {
        let git = try await GitLab.shared.lab()
        // A known_hosts that records another key for the server's address: what the client sees when the
        // server (or something in its place) presents a key that changed.
        let impostor = "/root/impostor_known_hosts"
        try git.client.sh("""
            rm -f /root/impostor_key /root/impostor_key.pub
            ssh-keygen -q -t ed25519 -N '' -f /root/impostor_key
            printf '%s %s\\n' '\(git.server.address)' "$(cut -d' ' -f1,2 /root/impostor_key.pub)" > \(impostor)
            """)
        for extra: OrderedDictionary<String, Value> in [[:], ["accept_newhostkey": true]] {
            let dest = fresh("hostkey", in: git)
            var arguments = git.arguments(dest, extra)
            arguments["ssh_opts"] = .string("-o UserKnownHostsFile=\(impostor)")
            for mode in [RunMode.check, .apply] {
                let result = await git.client.outcome(GitModule.self, arguments, mode)
                #expect(result.failed, "a changed host key was accepted (\(extra), \(mode))")
                #expect(result.message?.contains("Host key verification failed") == true
                        || result.message?.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") == true, "\(result.message ?? "")")
            }
            #expect(try git.client.sh("[ -e \(dest) ] && echo exists || echo absent") == "absent\n")
        }
    }

    @Test func accept_hostkeyIsTheTasksChoiceAndTheResultWarnsAboutIt() async throws {
        let git = try await GitLab.shared.lab()
        let dest = fresh("accept", in: git)
        let result = try await git.client.run(GitModule.self, git.arguments(dest, ["accept_hostkey": true]))
        #expect(result.changed && !result.failed, "\(result.message ?? "")")
        let warnings = result.values["warnings"]?.listValue?.compactMap(\.stringValue) ?? []
        #expect(warnings.contains { $0.contains("host key checking is off") }, "\(warnings)")
    }

    @Test func aShallowCheckoutFollowsANewCommitWithOneMoreShallowFetch() async throws {
        let git = try await GitLab.shared.lab()
        let dest = fresh("shallowfollow", in: git)
        _ = try await git.client.run(GitModule.self, git.arguments(dest, ["depth": 1]))
        let next = try git.commit("VERSION", "v-shallow-\(UUID().uuidString.prefix(4))")
        let moved = try await git.client.expectConverges(GitModule.self, git.arguments(dest, ["depth": 1]))
        #expect(moved.values["after"] == .string(next))
        #expect(try git.clientHead(dest) == next)
        #expect(try git.client.sh("git -C \(dest) symbolic-ref --short HEAD") == "main\n")
    }

    @Test func umaskSingleBranchAndArchiveApplyAndConverge() async throws {
        let git = try await GitLab.shared.lab()
        try git.commit("OTHER", "other branch", branch: "side-\(UUID().uuidString.prefix(4).lowercased())")
        let dest = fresh("options", in: git)
        let archive = "\(git.client.root)/exports/app.tar.gz"
        let arguments = git.arguments(dest, ["version": "main", "umask": "0077", "single_branch": true, "archive": .string(archive),
                                             "executable": "/usr/bin/git"])
        try await git.client.expectConverges(GitModule.self, arguments)
        #expect(try git.client.sh("stat -c %a \(dest)/README") == "600\n", "umask 0077 was not applied")
        #expect(try git.client.sh("git -C \(dest) branch -r | grep -v HEAD | tr -d ' '") == "origin/main\n", "single_branch fetched other branches")
        #expect(try git.client.sh("tar -tzf \(archive) | sort | head -n 2") == "README\nVERSION\n")

        // The archive alone is rewritten when it no longer matches the checkout.
        try git.client.sh("printf 'stale' > \(archive)")
        let rewritten = try await git.client.expectConverges(GitModule.self, arguments)
        #expect(rewritten.values["before"] == rewritten.values["after"])
        #expect(try git.client.sh("tar -tzf \(archive) | sort | head -n 2") == "README\nVERSION\n")

        let badUmask = await git.client.outcome(GitModule.self, git.arguments(fresh("badumask", in: git), ["umask": 18]))
        #expect(badUmask.failed && badUmask.message?.contains("quoted octal") == true, "\(badUmask.message ?? "")")
        let noProgram = await git.client.outcome(GitModule.self, git.arguments(fresh("noprogram", in: git), ["executable": "/nonexistent/git"]))
        #expect(noProgram.failed && noProgram.message?.contains("/nonexistent/git is not an executable file") == true, "\(noProgram.message ?? "")")
    }

    @Test func submodulesAreClonedAndFollowTheCommitTheSuperprojectRecords() async throws {
        let git = try await GitLab.shared.lab()
        let branch = "with-lib-\(UUID().uuidString.prefix(4).lowercased())"
        let lib = "/srv/git/lib-\(branch).git"
        let libURL = "ssh://git@\(git.server.address)\(lib)"
        // A library repository, added as a submodule on a branch of its own (main stays as other tests expect).
        try git.onServer("""
            set -e
            rm -rf /root/lib-work && git init -q --bare -b main \(lib) && git init -q -b main /root/lib-work
            cd /root/lib-work && git config user.email dev@lab.test && git config user.name Dev
            printf 'lib 1\\n' > LIB && git add LIB && git commit -q -m lib1 && git push -q \(lib) main
            cd \(GitLab.work) && git checkout -q main && git checkout -q -b \(branch)
            git -c protocol.file.allow=always submodule add -q \(lib) lib
            git config -f .gitmodules submodule.lib.url \(libURL)
            git add .gitmodules lib && git commit -q -m 'add lib' && git push -q origin \(branch)
            chown -R git:git /srv/git
            """)
        let dest = fresh("submodules", in: git)
        try await git.client.expectConverges(GitModule.self, git.arguments(dest, ["version": .string(branch)]))
        #expect(try git.client.sh("cat \(dest)/lib/LIB") == "lib 1\n")

        // The library moves and the superproject records the new commit: one change, submodule included.
        try git.onServer("""
            set -e
            cd /root/lib-work && printf 'lib 2\\n' > LIB && git commit -q -am lib2 && git push -q \(lib) main
            cd \(GitLab.work) && git checkout -q \(branch) && git -c protocol.file.allow=always submodule update -q --remote lib
            git add lib && git commit -q -m 'lib 2' && git push -q origin \(branch)
            chown -R git:git /srv/git
            """)
        try await git.client.expectConverges(GitModule.self, git.arguments(dest, ["version": .string(branch)]))
        #expect(try git.client.sh("cat \(dest)/lib/LIB") == "lib 2\n")

        // track_submodules: the library moves alone, and the checkout follows its remote branch.
        try git.onServer("cd /root/lib-work && printf 'lib 3\\n' > LIB && git commit -q -am lib3 && git push -q \(lib) main && chown -R git:git /srv/git")
        let tracking = git.arguments(dest, ["version": .string(branch), "track_submodules": true])
        let followed = try await git.client.expectConverges(GitModule.self, tracking)
        #expect(followed.values["submodules_changed"] == .bool(true))
        #expect(try git.client.sh("cat \(dest)/lib/LIB") == "lib 3\n")
        // Without track_submodules the moved submodule is a local modification (as in Ansible): force puts
        // the recorded commit back.
        let untracked = await git.client.outcome(GitModule.self, git.arguments(dest, ["version": .string(branch)]))
        #expect(untracked.failed && untracked.message?.contains("Local modifications") == true, "\(untracked.message ?? "")")
        try await git.client.expectConverges(GitModule.self, git.arguments(dest, ["version": .string(branch), "force": true]))
        #expect(try git.client.sh("cat \(dest)/lib/LIB") == "lib 2\n")
    }

    @Test func verify_commitAcceptsASignedCommitAndFailsOnAnUnsignedOne() async throws {
        let git = try await GitLab.shared.lab()
        let branch = "signed-\(UUID().uuidString.prefix(4).lowercased())"
        // A signing key on the server (its own GNUPGHOME); the client trusts it by having its public key.
        let publicKey = try git.onServer("""
            set -e
            export GNUPGHOME=/root/gnupg-signing; mkdir -p -m 700 $GNUPGHOME
            gpg --batch -k dev@lab.test >/dev/null 2>&1 || gpg --batch -q --passphrase '' --quick-gen-key 'Dev <dev@lab.test>' ed25519 sign never
            cd \(GitLab.work) && git checkout -q main && git checkout -q -b \(branch)
            printf 'signed\\n' > SIGNED && git add SIGNED && git -c user.signingkey=dev@lab.test commit -q -S -m signed
            git push -q origin \(branch) && chown -R git:git /srv/git
            gpg --batch --armor --export dev@lab.test
            """)
        try git.client.sh("printf '%s' '\(publicKey)' | gpg --batch -q --import")
        let dest = fresh("signed", in: git)
        let arguments = git.arguments(dest, ["version": .string(branch), "verify_commit": true])
        try await git.client.expectConverges(GitModule.self, arguments)

        try git.commit("UNSIGNED", "no signature", branch: branch)
        let refused = await git.client.outcome(GitModule.self, arguments)
        #expect(refused.failed && refused.message?.contains("does not verify") == true, "\(refused.message ?? "")")
    }

    @Test func aServerWhoseHostKeyChangedIsRefusedByCloneAndUpdate() async throws {
        let git = try await GitLab.shared.lab()
        // A git server of its own (a re-keyed server must not disturb the other tests).
        let server = try await LabFixture.shared.hosts(3, prefix: "git")[2]
        let setup = try git.lab.exec(server.name, GitLabSetup.serverScript(deployKey: git.deployPublicKey))
        #expect(setup.status == 0, "\(setup.stderr)")
        let knownHosts = "\(git.client.root)/known_hosts"
        try git.client.sh("printf '%s %s\\n' '\(server.address)' '\(server.hostKey)' > \(knownHosts)")
        func arguments(_ dest: String) -> OrderedDictionary<String, Value> {
            ["repo": .string("ssh://git@\(server.address)\(GitLab.bare)"), "dest": .string(dest), "key_file": .string(GitLab.deployKey),
             "ssh_opts": .string("-o UserKnownHostsFile=\(knownHosts)"), "accept_newhostkey": true]
        }
        let trusted = fresh("trusted", in: git)
        let first = try await git.client.run(GitModule.self, arguments(trusted))
        #expect(first.changed && !first.failed, "the server's recorded key was not trusted: \(first.message ?? "")")

        _ = try git.lab.rekey(server.name)
        let update = await git.client.outcome(GitModule.self, arguments(trusted))
        #expect(update.failed && update.message?.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") == true, "\(update.message ?? "")")
        let other = fresh("rekeyed", in: git)
        let clone = await git.client.outcome(GitModule.self, arguments(other))
        #expect(clone.failed && clone.message?.contains("Host key verification failed") == true, "\(clone.message ?? "")")
        #expect(try git.client.sh("[ -e \(other) ] && echo exists || echo absent") == "absent\n")
    }
}
