import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// set_fact with a templated name, as dev-sec's os_hardening sets its OS variables (a with_dict loop
/// over `"{{ item.key }}": "{{ item.value }}"`, skipping names already defined through the varnames lookup).
@Suite("set_fact with templated names") struct TemplatedSetFactKeyTests {
    @Test func eachEntryBecomesAVariable() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-setfactkey")[0]
        _ = try Lab().exec(host.name, "rm -f /srv/setfactkey; mkdir -p /srv")
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              vars:
                os_shell: /bin/zsh
                os_vars: {os_shell: /bin/sh, os_umask: "027", os_limit: 10}
              tasks:
                - name: set what the user did not
                  set_fact:
                    "{{ item.key }}": "{{ item.value }}"
                  when: not lookup('varnames', '^' + item.key + '$')
                  with_dict: "{{ os_vars }}"
                - copy:
                    dest: /srv/setfactkey
                    content: "{{ os_shell }} {{ os_umask }} {{ os_limit + 1 }}\\n"
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try Lab().exec(host.name, "cat /srv/setfactkey").stdout == "/bin/zsh 027 11\n")
    }
}
