import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Facts a module returns (service_facts, package_facts) are the host's facts for the tasks after it, as in Ansible.
@Suite("Facts returned by modules") struct LabReturnedFactsTests {
    @Test func serviceAndPackageFactsAreSeenByLaterTasks() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-retfacts")[0]
        _ = try Lab().exec(host.name, "rm -f /srv/retfacts; mkdir -p /srv")
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - service_facts:
                - package_facts:
                - name: summary
                  copy:
                    dest: /srv/retfacts
                    content: "{{ ansible_facts.services['ssh'].state }} {{ ansible_facts.packages['bash'][0].source }} {{ 'bash' in packages }}\\n"
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try Lab().exec(host.name, "cat /srv/retfacts").stdout == "running apt True\n")
    }

    /// INJECT_FACTS_AS_VARS as ansible-core 2.19 does it: a returned fact is a variable under the name the
    /// module gave it (getent_passwd, services; never ansible_getent_passwd), a gathered one under
    /// `ansible_<name>`, and both are in `ansible_facts` without the prefix; set_fact's cacheable facts too.
    @Test func returnedFactsAreVariablesUnderTheirOwnNames() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-retfacts")[0]
        _ = try Lab().exec(host.name, "rm -f /srv/barefacts; mkdir -p /srv")
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - getent: {database: passwd, key: root}
                - service_facts:
                - setup: {gather_subset: [min]}
                - set_fact: {corpus_cached: 7, cacheable: true}
                - name: summary
                  copy:
                    dest: /srv/barefacts
                    content: |
                      {{ getent_passwd.root[4] }} {{ ansible_facts.getent_passwd.root[4] }} {{ ansible_getent_passwd is defined }}
                      {{ services['ssh'].state }} {{ ansible_services is defined }}
                      {{ ansible_distribution == ansible_facts.distribution }} {{ distribution is defined }}
                      {{ ansible_facts.corpus_cached }} {{ corpus_cached }} {{ ansible_corpus_cached is defined }}
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try Lab().exec(host.name, "cat /srv/barefacts").stdout == """
            /root /root False
            running False
            True False
            7 7 False
            """)
    }
}
