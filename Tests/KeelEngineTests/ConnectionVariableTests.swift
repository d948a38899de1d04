import Foundation
import KeelLab
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Tasks see `ansible_connection` even when no variable sets it, as in Ansible (`ssh` for an inventory
/// host, the play's `connection:` keyword, `local` for the implicit localhost); an inventory value wins.
/// willshersystems.sshd tests `ansible_connection == 'chroot'`.
@Suite("ansible_connection without a variable") struct ConnectionVariableTests {
    @Test func theConnectionInUseIsAVariable() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-connvar")[0]
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - copy: {dest: /tmp/keel-connvar, content: "{{ ansible_connection }}"}
            - hosts: localhost
              gather_facts: false
              tasks:
                - copy: {dest: "@DIR@/local", content: "{{ ansible_connection }}"}
                - copy: {dest: "@DIR@/keyword", content: "{{ ansible_connection }}"}
                  connection: local
                  vars: {ansible_connection: local}
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try Lab().exec(host.name, "cat /tmp/keel-connvar").stdout == "ssh")
        #expect(h.read("local") == "local")
        #expect(h.read("keyword") == "local")
    }
}
