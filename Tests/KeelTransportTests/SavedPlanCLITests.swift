import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// `keel play --check --plan-out` then `keel apply`, as a reviewer's pipeline runs them: the apply
/// changes exactly the planned tasks, refuses a host edited by hand after the review (naming the task),
/// lets the other hosts proceed, and stops a task whose host changes during the run.
@Suite("Saved plans: keel play --plan-out and keel apply") struct SavedPlanCLITests {
    static func inventory(_ hosts: [LabHost]) -> String {
        "[lab]\n" + hosts.map { "\($0.name) ansible_host=\($0.address) ansible_user=root ansible_ssh_private_key_file=\(LabTargets.lab.clientKeyPath)\n" }.joined()
            + "[lab:vars]\nansible_ssh_common_args='-o UserKnownHostsFile=\(LabTargets.lab.knownHostsPath) -o StrictHostKeyChecking=yes'\n"
    }

    static let playbook = """
        - hosts: lab
          gather_facts: false
          tasks:
            - name: app config
              copy: {content: "port=8080\\n", dest: /tmp/keel-plan/app.conf}
            - name: data directories
              file: {path: "/tmp/keel-plan/{{ item }}", state: directory, mode: "0750"}
              loop: [cache, logs]
            - name: motd
              copy: {content: "managed by keel\\n", dest: /tmp/keel-plan/motd}

        """

    @Test func applyChangesThePlannedTasksAndRefusesAHostEditedAfterTheReview() async throws {
        let hosts = try await LabTargets.hosts(2, prefix: "plan")
        for host in hosts { try LabTargets.inspect(host, "rm -rf /tmp/keel-plan && mkdir -p /tmp/keel-plan && echo port=80 > /tmp/keel-plan/app.conf && echo 'managed by keel' > /tmp/keel-plan/motd") }
        let dir = try KeelBinary.directory(["site.yml": Self.playbook, "hosts.ini": Self.inventory(hosts)])
        defer { try? FileManager.default.removeItem(atPath: dir) }

        let plan = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "--check", "--plan-out", "plan.json"], in: dir)
        #expect(plan.status == 0, "\(plan.output)")
        #expect(plan.stderr.contains("plan saved to plan.json"))
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/plan.json")
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let saved = try String(contentsOfFile: dir + "/plan.json", encoding: .utf8)
        #expect(!saved.contains("port=8080"), "a plan holds digests, not contents")
        #expect(try LabTargets.inspect(hosts[0], "cat /tmp/keel-plan/app.conf") == "port=80\n", "planning changed nothing")

        // Someone edits the second host after the review.
        try LabTargets.inspect(hosts[1], "echo port=9999 > /tmp/keel-plan/app.conf")
        // Applied from another directory: the plan knows where its playbook and inventory are.
        let apply = try KeelBinary.run(["apply", dir + "/plan.json"], in: FileManager.default.temporaryDirectory.path)
        #expect(apply.status == 2, "a refused host makes the apply fail: \(apply.output)")
        #expect(apply.stderr.contains("REFUSED [\(hosts[1].name)]: the host is not where the plan saw it; nothing was applied to it"), "\(apply.output)")
        #expect(apply.stderr.contains("task 'app config' (\(dir)/site.yml:4:7)"), "\(apply.output)")
        #expect(!apply.stderr.contains("REFUSED [\(hosts[0].name)]"))
        // The first host got exactly the planned changes; the second nothing at all.
        #expect(try LabTargets.inspect(hosts[0], "cat /tmp/keel-plan/app.conf; stat -c %a /tmp/keel-plan/cache /tmp/keel-plan/logs") == "port=8080\n750\n750\n")
        #expect(apply.stdout.contains("\(hosts[0].name)") && apply.stdout.contains("changed=2"), "\(apply.stdout)")
        #expect(try LabTargets.inspect(hosts[1], "cat /tmp/keel-plan/app.conf; ls /tmp/keel-plan") == "port=9999\napp.conf\nmotd\n")

        // A new review of the edited host, then its apply, converges it.
        let again = try KeelBinary.run(["play", "site.yml", "-i", "hosts.ini", "--check", "--plan-out", "plan2.json", "--limit", hosts[1].name], in: dir)
        #expect(again.status == 0, "\(again.output)")
        let second = try KeelBinary.run(["apply", "plan2.json"], in: dir)
        #expect(second.status == 0, "\(second.output)")
        #expect(try LabTargets.inspect(hosts[1], "cat /tmp/keel-plan/app.conf") == "port=8080\n")
    }

    @Test func aHostThatChangesDuringTheApplyStopsAtThatTask() throws {
        // The command is skipped in check mode, so the plan (and apply's verifying check run) see the
        // old file; during the real run it rewrites the file just before the copy observes it.
        let playbook = """
            - hosts: all
              gather_facts: false
              tasks:
                - name: someone else writes
                  command: sh -c 'echo intruder > {{ playbook_dir }}/target'
                - name: reviewed write
                  copy: {content: "reviewed\\n", dest: "{{ playbook_dir }}/target"}
                - name: after
                  copy: {content: "after\\n", dest: "{{ playbook_dir }}/after"}

            """
        let dir = try KeelBinary.directory(["site.yml": playbook, "target": "original\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plan = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local", "--check", "--plan-out", "plan.json"], in: dir)
        #expect(plan.status == 0, "\(plan.output)")
        let apply = try KeelBinary.run(["apply", "plan.json", "-c", "local"], in: dir)
        #expect(apply.status == 2, "\(apply.output)")
        #expect(apply.stdout.contains("refused: the host changed since the plan was made; task 'reviewed write'"), "\(apply.output)")
        #expect(try String(contentsOfFile: dir + "/target", encoding: .utf8) == "intruder\n", "nothing of the refused task was applied")
        #expect(!FileManager.default.fileExists(atPath: dir + "/after"), "the host stopped at the refused task")
    }

    @Test func badPlansAndMissingVariablesAreRefusedBeforeAnyHost() throws {
        let dir = try KeelBinary.directory(["site.yml": "- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {content: \"{{ v }}\", dest: \"{{ playbook_dir }}/out\"}\n",
                                            "junk.json": "{\"hosts\": 1}"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let withoutCheck = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local", "--plan-out", "p.json"], in: dir)
        #expect(withoutCheck.status != 0 && withoutCheck.stderr.contains("--plan-out needs --check"), "\(withoutCheck.output)")
        let junk = try KeelBinary.run(["apply", "junk.json"], in: dir)
        #expect(junk.status == 1 && junk.stderr.contains("'junk.json' is not a Keel plan"), "\(junk.output)")
        let plan = try KeelBinary.run(["play", "site.yml", "-i", "web1,", "-c", "local", "--check", "--plan-out", "p.json", "-e", "v=1"], in: dir)
        #expect(plan.status == 0, "\(plan.output)")
        let missing = try KeelBinary.run(["apply", "p.json", "-c", "local"], in: dir)
        #expect(missing.status == 1 && missing.stderr.contains("the plan was made with extra variables that are not given now: v"), "\(missing.output)")
        #expect(!FileManager.default.fileExists(atPath: dir + "/out"))
        let given = try KeelBinary.run(["apply", "p.json", "-c", "local", "-e", "v=1"], in: dir)
        #expect(given.status == 0, "\(given.output)")
        #expect(try String(contentsOfFile: dir + "/out", encoding: .utf8) == "1")
    }
}
