import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// add_host and group_by: the inventory changes during the run and later plays target what they added,
/// on lab hosts; and a differential against ansible-playbook for what they register and what `groups`,
/// `group_names` and the new hosts' variables become.
@Suite("add_host and group_by") struct LabInventoryChangeTests {
    let lab = Lab()

    @Test func laterPlaysReachAHostAddedAtRunTimeAndAGroupMadeFromVariables() async throws {
        let all = try await LabFixture.shared.hosts(2, prefix: "addhost")
        let (known, added) = (all[0], all[1])
        for host in all { _ = try lab.exec(host.name, "rm -f /tmp/addhost-*") }
        // Only `known` is in the inventory; `added` is reached through add_host's variables.
        let harness = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([known]), "site.yml": """
            - hosts: lab
              gather_facts: false
              vars:
                tier: front
              tasks:
                - name: add
                  add_host:
                    name: \(added.name)
                    groups: [workers]
                    ansible_host: \(added.address)
                    ansible_user: root
                    ansible_ssh_private_key_file: \(lab.clientKeyPath)
                    ansible_ssh_common_args: -o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes
                    worker_id: 7
                - name: group
                  group_by:
                    key: tier_{{ tier }}
            - hosts: workers
              gather_facts: false
              tasks:
                - name: on the added host
                  copy: {dest: /tmp/addhost-worker, content: "{{ worker_id }} {{ group_names | join(',') }}"}
            - hosts: tier_front
              gather_facts: false
              tasks:
                - name: on the grouped host
                  copy: {dest: /tmp/addhost-front, content: "{{ group_names | join(',') }}"}
            """])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        #expect(try lab.exec(added.name, "cat /tmp/addhost-worker").stdout == "7 workers")
        #expect(try lab.exec(known.name, "cat /tmp/addhost-front").stdout == "lab,tier_front")
        #expect(try lab.exec(known.name, "ls /tmp/addhost-worker 2>/dev/null").stdout.isEmpty)
        #expect(outcome.results(named: "add").map(\.status) == [.changed])
        #expect(outcome.results(named: "group").map(\.status) == [.changed])
        #expect(outcome.recap[added.name]?[.changed] == 1)

        // Each run starts from the files: the host is added again (changed), the copies are idempotent.
        let second = await harness.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok)
        #expect(second.results(named: "on the added host").map(\.status) == [.ok])
        #expect(second.results(named: "on the grouped host").map(\.status) == [.ok])

        // Check mode changes the inventory too (ansible-core does), so later plays are predicted on the new hosts.
        _ = try lab.exec(added.name, "rm -f /tmp/addhost-worker")
        let predicted = await harness.play(check: true, inventory: ["inventory.ini"])
        #expect(predicted.status == .ok)
        #expect(predicted.results(named: "on the added host").map(\.status) == [.changed])
        #expect(try lab.exec(added.name, "ls /tmp/addhost-worker 2>/dev/null").stdout.isEmpty)
    }

    @Test func theFreeStrategyRefusesAddHostAsAnsibleDoes() async throws {
        let harness = try PlaybookHarness(files: ["inventory.ini": "h1 ansible_connection=local\nh2 ansible_connection=local\n", "site.yml": """
            - hosts: all
              gather_facts: false
              strategy: free
              tasks:
                - add_host: name="{{ inventory_hostname }}-x" groups=fx
            - hosts: fx
              gather_facts: false
              tasks:
                - name: never
                  debug: msg=reached
            """])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .hostFailed)
        #expect(outcome.results.contains { $0.message?.contains("bypasses the host loop, which is currently not supported in the free strategy") == true })
        #expect(outcome.results(named: "never").isEmpty)
    }

    @Test func registersAndGroupsAsAnsiblePlaybookDoes() async throws {
        let local = ControllerDifferential.localHost
        let differential = ControllerDifferential(files: ["inventory.ini": """
            [web]
            h1 \(local)
            h2 \(local)

            [all:vars]
            ansible_python_interpreter=\(AnsibleTool.venv)/bin/python

            """, "site.yml": """
            - hosts: web
              gather_facts: false
              tasks:
                - name: add one
                  add_host:
                    name: "new1:2222"
                    groups: "dyn, extra"
                    app: one
                    ansible_connection: local
                  register: first
                - name: add again
                  add_host: name=new1:2222 groups=dyn app=one ansible_connection=local
                  register: again
                - name: add in a loop
                  add_host:
                    hostname: "{{ item }}"
                    groups: [looped]
                    from: "{{ inventory_hostname }}"
                    ansible_connection: local
                  loop: [l1, l2]
                  register: looped
                - name: by host
                  group_by:
                    key: "by {{ inventory_hostname }}"
                    parents: [grouped, web]
                  register: byhost
                - group_by: key=same
                  register: same
                - group_by: key=same
                  register: same_again
                - copy:
                    dest: "@DIR@/results-{{ inventory_hostname }}.json"
                    content: "{{ {'first': first | default('undefined'), 'again': again | default('undefined'), 'looped': looped | default('undefined'), 'byhost': byhost, 'same': same, 'same_again': same_again} | to_nice_json }}"
            - hosts: dyn:looped
              gather_facts: false
              tasks:
                - copy:
                    dest: "@DIR@/play-{{ inventory_hostname }}"
                    content: "{{ ansible_play_hosts_all | to_json }} {{ group_names | to_json }} {{ app | default('') }} {{ hostvars[inventory_hostname]['from'] | default('') }} {{ ansible_ssh_port | default('') }}"
            - hosts: h1
              gather_facts: false
              tasks:
                - copy:
                    dest: "@DIR@/groups.json"
                    content: "{{ groups | to_nice_json }}"
            """])
        let runs = try await differential.run()
        #expect(runs.ansibleStatus == 0, "\(runs.ansibleOutput)")
        #expect(runs.keel.status == .ok, "\(runs.keel.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        for name in ["results-h1.json", "results-h2.json"] {
            let (theirs, ours) = try runs.json(name)
            #expect(theirs != nil)
            #expect(ours == theirs, "\(name) differs")
        }
        // The order of a group_by group's hosts is the order their results came back in, which differs from
        // run to run under Ansible's forks: groups are compared as sets.
        let (theirGroups, ourGroups) = try runs.json("groups.json")
        func asSets(_ value: Value?) -> [String: Set<String>]? {
            value?.dictValue.map { groups in groups.mapValues { Set(($0.listValue ?? []).compactMap(\.stringValue)) } }
                .map { Dictionary(uniqueKeysWithValues: $0.map { ($0.key, $0.value) }) }
        }
        #expect(theirGroups != nil)
        #expect(asSets(ourGroups) == asSets(theirGroups), "groups.json differs")
        for name in ["play-new1", "play-l1", "play-l2"] {
            let (theirs, ours) = runs.files(name)
            #expect(theirs != nil)
            #expect(ours == theirs, "\(name) differs")
        }
        // add_host ran once, on h1: h2 neither ran nor counted it (as in ansible-core).
        #expect(runs.keel.recap["h2"]?[.changed] == 3)
    }
}
