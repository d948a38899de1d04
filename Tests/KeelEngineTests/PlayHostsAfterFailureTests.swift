import Foundation
import KeelBase
import KeelTestSupport
import Testing
@testable import KeelEngine

/// play_hosts, ansible_play_hosts and ansible_play_batch leave out a host that failed, from the next task
/// on, as in ansible-playbook: PlayScope keeps each host's magic variables only while no host's failed or
/// unreachable flag changed (HostState.activityChanges).
@Suite("Active hosts after a failure") struct PlayHostsAfterFailureTests {
    @Test func aFailedHostLeavesThePlayHostsOfTheTasksAfterIt() async throws {
        let local = ControllerDifferential.localHost
        let differential = ControllerDifferential(files: ["inventory.ini": """
            [web]
            h1 \(local)
            h2 \(local)
            h3 \(local)

            [all:vars]
            ansible_python_interpreter=\(AnsibleTool.venv)/bin/python

            """, "site.yml": """
            - hosts: web
              gather_facts: false
              tasks:
                - copy:
                    dest: "@DIR@/before-{{ inventory_hostname }}"
                    content: "{{ ansible_play_hosts | to_json }} {{ ansible_play_batch | to_json }} {{ play_hosts | to_json }}"
                - fail: msg=stop
                  when: inventory_hostname == 'h2'
                - copy:
                    dest: "@DIR@/after-{{ inventory_hostname }}"
                    content: "{{ ansible_play_hosts | to_json }} {{ ansible_play_batch | to_json }} {{ play_hosts | to_json }} {{ ansible_play_hosts_all | to_json }}"
            """])
        let runs = try await differential.run()
        #expect(runs.ansibleStatus == 2, "\(runs.ansibleOutput)")
        for name in ["before-h1", "before-h2", "before-h3", "after-h1", "after-h3"] {
            let (theirs, ours) = runs.files(name)
            #expect(theirs != nil, "ansible-playbook wrote no \(name)")
            #expect(ours == theirs, "\(name) differs")
        }
        #expect(runs.files("after-h2").keel == nil)
        // The failure did change what the tasks after it see.
        #expect(runs.files("before-h1").keel?.contains("h2") == true)
        #expect(runs.files("after-h1").keel?.hasPrefix("[\"h1\", \"h3\"]") == true, "\(runs.files("after-h1").keel ?? "none")")
    }
}
