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
                    content: "{{ ansible_facts.services['ssh'].state }} {{ ansible_facts.packages['bash'][0].source }} {{ 'bash' in ansible_packages }}\\n"
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try Lab().exec(host.name, "cat /srv/retfacts").stdout == "running apt True\n")
    }
}
