import Foundation
import KeelBase
import KeelEngine
import KeelLab
import KeelReport
import KeelTestSupport
import Synchronization
import Testing

/// Playbooks over SSH: the same git tasks run by ansible-playbook (ansible.builtin.git from the venv) and
/// by Keel, compared task by task and checkout by checkout; and roles/git_release deploying, converging,
/// and rolling back when its health gate fails.
@Suite("git playbooks: Ansible differential and the git_release recipe", .serialized) struct GitPlaybookLabTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    final class Recorder: ReportSink, Sendable {
        private let store = Mutex<[HostTaskResult]>([])
        var results: [HostTaskResult] { store.withLock { $0 } }
        func handle(_ event: RunEvent) async {
            if case .hostResult(let result) = event { store.withLock { $0.append(result) } }
        }
    }

    func directory() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-git-play-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory + "/group_vars", withIntermediateDirectories: true)
        return directory
    }

    func inventory(_ git: GitLab, in directory: String) throws -> String {
        let text = LabInventory.ini([git.client.lab], group: "web", lab: LabFixture.shared.lab,
                                    hostVars: [git.client.lab.name: "ansible_python_interpreter=/usr/bin/python3"])
        try text.write(toFile: directory + "/inventory.ini", atomically: true, encoding: .utf8)
        return directory + "/inventory.ini"
    }

    func keel(_ playbook: String, inventory: String, check: Bool = false) async -> (PlaybookRunner.ExitStatus, [HostTaskResult]) {
        var options = RunOptions()
        options.inventorySources = [inventory]
        options.rolesPath = [Self.repository + "/roles"]
        options.checkMode = check
        options.diffMode = true
        let recorder = Recorder()
        let status = await PlaybookRunner(options: options, sinks: [recorder]).run([playbook])
        return (status, recorder.results)
    }

    /// `TASK [name]` followed by `ok:`/`changed:`/`fatal:` (and, with -v, ` => {result}`) in
    /// ansible-playbook's default output.
    static func ansibleResults(_ output: String) -> [(task: String, status: String, result: Value)] {
        var task = ""
        var results: [(String, String, Value)] = []
        for line in output.split(separator: "\n").map(String.init) {
            if line.hasPrefix("TASK ["), let end = line.range(of: "] ") ?? line.range(of: "]") {
                task = String(line[line.index(line.startIndex, offsetBy: 6)..<end.lowerBound])
            } else if let status = ["ok", "changed", "fatal", "skipping"].first(where: { line.hasPrefix("\($0): [") }) {
                let json = line.range(of: " => ").map { String(line[$0.upperBound...]) }
                let result = json.flatMap { try? Value.parseJSON($0) } ?? .null
                results.append((task, status == "fatal" ? "failed" : status == "skipping" ? "skipped" : status, result))
            }
        }
        return results
    }

    static func tasks(repo: String, scpRepo: String, tag: String, first: String, pull: String) -> String {
        """
          - name: clone main
            ansible.builtin.git: {repo: "\(repo)", dest: "{{ base }}/main", key_file: /root/.ssh/deploy_key}
          - name: clone main again
            ansible.builtin.git: {repo: "\(repo)", dest: "{{ base }}/main", key_file: /root/.ssh/deploy_key}
          - name: shallow clone
            git: {repo: "\(repo)", dest: "{{ base }}/shallow", depth: 1, key_file: /root/.ssh/deploy_key}
          - name: shallow clone again
            git: {repo: "\(repo)", dest: "{{ base }}/shallow", depth: 1, key_file: /root/.ssh/deploy_key}
          - name: tag checkout
            git: {repo: "\(repo)", dest: "{{ base }}/tag", version: "\(tag)", key_file: /root/.ssh/deploy_key}
          - name: commit checkout
            git: {repo: "\(repo)", dest: "{{ base }}/commit", version: "\(first)", key_file: /root/.ssh/deploy_key}
          - name: commit checkout again
            git: {repo: "\(repo)", dest: "{{ base }}/commit", version: "\(first)", key_file: /root/.ssh/deploy_key}
          - name: main moves to the tag
            git: {repo: "\(repo)", dest: "{{ base }}/main", version: "\(tag)", key_file: /root/.ssh/deploy_key}
          - name: same repository by another URL
            git: {repo: "\(scpRepo)", dest: "{{ base }}/main", version: "\(tag)", key_file: /root/.ssh/deploy_key}
          - name: a local modification
            shell: "echo edited > {{ base }}/tag/README"
          - name: force discards it
            git: {repo: "\(repo)", dest: "{{ base }}/tag", version: "\(tag)", force: true, key_file: /root/.ssh/deploy_key}
          - name: update false leaves a checkout alone
            git: {repo: "\(repo)", dest: "{{ base }}/commit", update: false, key_file: /root/.ssh/deploy_key}
          - name: bare mirror
            git: {repo: "\(repo)", dest: "{{ base }}/bare.git", bare: true, key_file: /root/.ssh/deploy_key}
          - name: bare mirror again
            git: {repo: "\(repo)", dest: "{{ base }}/bare.git", bare: true, key_file: /root/.ssh/deploy_key}
          - name: a pull request's commit by refspec, from a remote named upstream
            git: {repo: "\(repo)", dest: "{{ base }}/pr", version: "\(pull)", remote: upstream, refspec: "+refs/pull/*:refs/remotes/upstream/pull/*", key_file: /root/.ssh/deploy_key}
          - name: the pull request again
            git: {repo: "\(repo)", dest: "{{ base }}/pr", version: "\(pull)", remote: upstream, refspec: "+refs/pull/*:refs/remotes/upstream/pull/*", key_file: /root/.ssh/deploy_key}
        """
    }

    @Test func ansibleAndKeelMakeTheSameCheckoutsWithTheSameChangedAndOkPerTask() async throws {
        let git = try await GitLab.shared.lab()
        let tag = "d\(UUID().uuidString.prefix(6).lowercased())"
        // A repository of its own: the module tests push to the shared one's main meanwhile.
        let repository = try git.copyOfRepository("diff-\(tag)")
        try git.commit("VERSION", "v-diff-\(tag)", tag: tag, in: repository)
        try git.commit("VERSION", "v-after-\(tag)", in: repository)
        let first = try git.onServer("git -C \(repository.bare) rev-list --max-parents=0 main").trimmingCharacters(in: .whitespacesAndNewlines)
        // A pull request: a commit only a ref outside refs/heads and refs/tags has (what refspec is for).
        let pull = try git.onServer("""
            set -e
            cd \(repository.work) && git checkout -q -b pr-\(tag) main
            printf 'pull request\\n' > PR && git add PR && git commit -q -m 'pull request'
            git push -q origin HEAD:refs/pull/1/head && chown -R git:git /srv/git
            git rev-parse HEAD && git checkout -q main
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let scpRepo = "git@\(git.server.address):\(repository.bare)"
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = try inventory(git, in: dir)
        let bases = ["ansible": "\(git.client.root)/by-ansible", "keel": "\(git.client.root)/by-keel"]
        for (tool, base) in bases {
            let playbook = "- hosts: web\n  gather_facts: false\n  vars: {base: \(base)}\n  tasks:\n"
                + Self.tasks(repo: git.url(of: repository.bare), scpRepo: scpRepo, tag: tag, first: first, pull: pull)
            try playbook.write(toFile: "\(dir)/\(tool).yml", atomically: true, encoding: .utf8)
        }
        let (status, output) = try AnsibleTool.run("ansible-playbook", ["-v", "-i", inventory, "\(dir)/ansible.yml"], home: dir + "/.ansible")
        #expect(status == 0, "ansible-playbook failed:\n\(output.suffix(3000))")
        let byAnsible = Self.ansibleResults(output)
        let (keelStatus, results) = await keel("\(dir)/keel.yml", inventory: inventory)
        #expect(keelStatus == .ok, "\(results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        let byKeel = results.map { ($0.task.name, $0.status.rawValue) }
        #expect(byKeel.map { "\($0.0): \($0.1)" } == byAnsible.map { "\($0.task): \($0.status)" })
        // The results register sees: before, after and remote_url_changed wherever Ansible reports them.
        #expect(byAnsible.filter { $0.result["after"] != nil }.count == 15, "ansible-playbook -v results were not read")
        for (keelResult, ansible) in zip(results, byAnsible) where keelResult.task.name != "a local modification" {
            for key in ["before", "after", "remote_url_changed"] {
                guard let expected = ansible.result[key] else { continue }
                #expect(keelResult.values[key] == expected, "\(ansible.task): \(key)")
            }
        }

        let inspect = "for d in main shallow tag commit bare.git pr; do printf '%s %s %s %s\\n' $d \"$(git -C $d rev-parse HEAD)\" "
            + "\"$(git -C $d symbolic-ref -q --short HEAD || echo detached)\" \"$(git -C $d status --porcelain --untracked-files=no | wc -l)\"; done; "
            + "git -C main config --get remote.origin.url; git -C shallow rev-list --count HEAD; git -C pr remote; cat pr/PR"
        let ansibleCheckouts = try git.client.sh("cd \(bases["ansible"]!) && \(inspect)")
        let keelCheckouts = try git.client.sh("cd \(bases["keel"]!) && \(inspect)")
        #expect(keelCheckouts == ansibleCheckouts)
        #expect(keelCheckouts.contains(scpRepo))
    }

    @Test func theRecipeDeploysPerEnvironmentConvergesAndRollsBackWhenTheHealthGateFails() async throws {
        let git = try await GitLab.shared.lab()
        let repository = try git.copyOfRepository("recipe-\(UUID().uuidString.prefix(6).lowercased())")
        let good = try git.commit("HEALTH", "ok", branch: "staging", in: repository)
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = try inventory(git, in: dir)
        let path = "\(git.client.root)/shop"
        // The environment comes from group_vars, as in a real inventory; prod would deploy main.
        try "git_release_environment: staging\n".write(toFile: dir + "/group_vars/web.yml", atomically: true, encoding: .utf8)
        let playbook = """
            - hosts: web
              gather_facts: false
              roles:
                - role: git_release
                  vars:
                    git_release_repo: "\(git.url(of: repository.bare))"
                    git_release_path: \(path)
                    git_release_key_file: \(GitLab.deployKey)
                    git_release_shared_dirs: [log]
                    git_release_validate: test -s VERSION
                    git_release_reload_command: "touch \(path)/shared/log/reloaded"
                    git_release_health_command: "grep -qx ok \(path)/current/HEALTH"
                    git_release_health_retries: 1
                    git_release_health_delay: 0
            """
        try playbook.write(toFile: dir + "/deploy.yml", atomically: true, encoding: .utf8)
        let goodID = String(good.prefix(12))
        func changed(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .changed }.map(\.task.name) }

        let (checkStatus, predicted) = await keel(dir + "/deploy.yml", inventory: inventory, check: true)
        #expect(checkStatus == .ok, "\(predicted.filter { $0.status == .failed }.map { $0.message ?? "" })")
        #expect(try git.client.sh("[ -e \(path) ] && echo exists || echo absent") == "absent\n", "check mode wrote to the host")
        // Timed for docs/git-releases.md (printed, never judged: the machine's load decides them).
        let clock = ContinuousClock()
        let deployStart = clock.now
        let (status, deployed) = await keel(dir + "/deploy.yml", inventory: inventory)
        let deployTime = clock.now - deployStart
        #expect(status == .ok, "\(deployed.filter { $0.status == .failed }.map { $0.message ?? "" })")
        // Check mode predicts every change, the reload command's included (as Ansible reports commands there).
        #expect(changed(deployed) == changed(predicted))
        #expect(changed(deployed).contains("git_release : Run the reload command"))
        #expect(try git.client.sh("readlink \(path)/current; cat \(path)/current/HEALTH") == "releases/\(goodID)\nok\n")
        let againStart = clock.now
        let (againStatus, again) = await keel(dir + "/deploy.yml", inventory: inventory)
        let againTime = clock.now - againStart
        #expect(againStatus == .ok && changed(again) == [], "second deploy changed: \(changed(again))")

        let bad = try git.commit("HEALTH", "broken", branch: "staging", in: repository)
        let (badCheckStatus, badPredicted) = await keel(dir + "/deploy.yml", inventory: inventory, check: true)
        #expect(badCheckStatus == .ok)
        #expect(changed(badPredicted).contains("git_release : Validate releases/\(bad.prefix(12)) and switch current to it"), "\(changed(badPredicted))")
        #expect(try git.client.sh("ls \(path)/releases") == "\(goodID)\n", "check mode cloned")

        let failedStart = clock.now
        let (failedStatus, failed) = await keel(dir + "/deploy.yml", inventory: inventory)
        let failedTime = clock.now - failedStart
        #expect(failedStatus != .ok, "a deploy that failed its health gate reported success")
        #expect(failed.contains { $0.task.name == "git_release : Roll back to the previous release" && $0.status == .changed })
        #expect(try git.client.sh("readlink \(path)/current; cat \(path)/current/HEALTH") == "releases/\(goodID)\nok\n")
        #expect(try git.client.sh("cut -d' ' -f2,3 \(path)/history") == "switch \(goodID)\nswitch \(bad.prefix(12))\nrollback \(goodID)\n")

        // A failure inside the switch task after it switched (keep: 0 must remove the old bad release, and a
        // file system mounted in it cannot be removed) is rolled back too, to the release served before.
        let next = try git.commit("HEALTH", "ok", branch: "staging", in: repository)
        let mount = "\(path)/releases/\(bad.prefix(12))/mnt"
        try git.client.sh("mkdir -p \(mount) && mount -t tmpfs tmpfs \(mount)")
        try playbook.replacingOccurrences(of: "git_release_health_delay: 0", with: "git_release_health_delay: 0\n        git_release_keep: 0")
            .write(toFile: dir + "/deploy-keep0.yml", atomically: true, encoding: .utf8)
        let (pruneStatus, pruneFailed) = await keel(dir + "/deploy-keep0.yml", inventory: inventory)
        try git.client.sh("umount \(mount)")
        #expect(pruneStatus != .ok, "a deploy whose switch task failed reported success")
        #expect(pruneFailed.contains { $0.task.name == "git_release : Roll back to the previous release" && $0.status == .changed },
                "\(pruneFailed.map { "\($0.task.name): \($0.status)" })")
        let failure = pruneFailed.first { $0.task.name == "git_release : The deploy failed" }?.message ?? ""
        #expect(failure.contains("rolled back to \(goodID)") && failure.contains("cannot remove"), "\(failure)")
        #expect(try git.client.sh("readlink \(path)/current; cut -d' ' -f2,3 \(path)/history | tail -n 2")
                == "releases/\(goodID)\nswitch \(next.prefix(12))\nrollback \(goodID)\n")

        func seconds(_ duration: Duration) -> String { String(format: "%.2f s", Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18) }
        func task(_ results: [HostTaskResult], _ prefix: String) -> String {
            results.first { $0.task.name.hasPrefix("git_release : " + prefix) }.map { String(format: "%.3f s", $0.elapsedSeconds) } ?? "-"
        }
        print("git_release timings: deploy \(seconds(deployTime)) (switch task \(task(deployed, "Validate"))), converged re-run \(seconds(againTime)), "
              + "failed deploy with automatic rollback \(seconds(failedTime)) (switch task \(task(failed, "Validate")), "
              + "rollback task \(task(failed, "Roll back")))")
    }

    /// The recipe with a real service: a systemd unit serving PATH over HTTP on a systemd lab host, reloaded
    /// by the role's `systemd: state=reloaded` after the switch and after the rollback, the health gate an
    /// HTTP request to it through current.
    @Test func theRecipeReloadsASystemdServiceAndItsHealthGateAsksTheService() async throws {
        let git = try await GitLab.shared.lab()
        let repository = try git.copyOfRepository("service-\(UUID().uuidString.prefix(6).lowercased())")
        let good = try git.commit("HEALTH", "ok", branch: "main", in: repository)
        let host = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "gitsd")[0]
        let lab = LabFixture.shared.lab
        func onHost(_ script: String) throws -> String {
            let result = try lab.exec(host.name, script)
            guard result.status == 0 else { throw KeelError("`\(script)` exited \(result.status) on \(host.name): \(result.stderr)\(result.stdout)") }
            return result.stdout
        }
        // The client's deploy key and the git server's host key on this host too; the service reloads by
        // recording it (a reload the test can count).
        let deployKey = try git.client.sh("cat \(GitLab.deployKey)")
        let path = "/srv/shop-\(UUID().uuidString.prefix(6).lowercased())"
        try onHost("""
            set -e
            mkdir -p /root/.ssh && chmod 700 /root/.ssh
            printf '%s' '\(deployKey)' > \(GitLab.deployKey) && chmod 600 \(GitLab.deployKey)
            printf '%s %s\\n' '\(git.server.address)' '\(git.server.hostKey)' > /root/.ssh/known_hosts
            mkdir -p \(path)
            cat > /etc/systemd/system/shop.service <<'EOF'
            [Service]
            ExecStart=/usr/bin/python3 -m http.server 8080 --bind 127.0.0.1 --directory \(path)
            ExecReload=/bin/sh -c 'echo reload >> \(path)/reloads'
            EOF
            systemctl daemon-reload && systemctl restart shop
            """)
        let dir = try directory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let inventory = dir + "/inventory.ini"
        try LabInventory.ini([host], group: "web", lab: lab, hostVars: [host.name: "ansible_python_interpreter=/usr/bin/python3"])
            .write(toFile: inventory, atomically: true, encoding: .utf8)
        try """
            - hosts: web
              gather_facts: false
              roles:
                - role: git_release
                  vars:
                    git_release_repo: "\(git.url(of: repository.bare))"
                    git_release_path: \(path)
                    git_release_key_file: \(GitLab.deployKey)
                    git_release_service: shop
                    git_release_health_command: "curl -fsS http://127.0.0.1:8080/current/HEALTH"
                    git_release_health_retries: 3
                    git_release_health_delay: 1
            """.write(toFile: dir + "/deploy.yml", atomically: true, encoding: .utf8)
        func changed(_ results: [HostTaskResult]) -> [String] { results.filter { $0.status == .changed }.map(\.task.name) }

        let (status, deployed) = await keel(dir + "/deploy.yml", inventory: inventory)
        #expect(status == .ok, "\(deployed.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        #expect(changed(deployed).contains("git_release : Reload the service"), "\(changed(deployed))")
        #expect(try onHost("readlink \(path)/current; cat \(path)/reloads; curl -fsS http://127.0.0.1:8080/current/HEALTH")
                == "releases/\(good.prefix(12))\nreload\nok\n")
        let (againStatus, again) = await keel(dir + "/deploy.yml", inventory: inventory)
        #expect(againStatus == .ok && changed(again) == [], "second deploy changed: \(changed(again))")

        // A bad commit: the service answers 404 for its health check.
        let bad = try git.onServer("""
            set -e
            cd \(repository.work) && git checkout -q main && git rm -q HEALTH && git commit -q -m 'no health'
            git push -q origin main && chown -R git:git /srv/git && git rev-parse HEAD
            """).trimmingCharacters(in: .whitespacesAndNewlines)
        let (failedStatus, failed) = await keel(dir + "/deploy.yml", inventory: inventory)
        #expect(failedStatus != .ok, "a deploy that failed its health gate reported success")
        #expect(failed.contains { $0.task.name == "git_release : Reload the service on the previous release" && $0.status == .changed },
                "\(failed.map { "\($0.task.name): \($0.status)" })")
        #expect(try onHost("readlink \(path)/current; cat \(path)/reloads; curl -fsS http://127.0.0.1:8080/current/HEALTH")
                == "releases/\(good.prefix(12))\nreload\nreload\nreload\nok\n", "the bad release \(bad.prefix(12)) is still served")
        try onHost("systemctl stop shop; rm -rf \(path) /etc/systemd/system/shop.service; systemctl daemon-reload")
    }
}
