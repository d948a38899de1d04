import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// wait_for_connection and reboot on a lab host. The lab cannot reboot a host (a light host's PID 1 is
/// tini; a systemd host's nspawn exits on reboot and nothing starts it again), so a real reboot is not
/// tested; what is: waiting for a host that answers and one that never does, reboot's check mode, a
/// reboot command that fails, and one that does not reboot, which the boot-id check on new connections
/// must catch (Ansible's "Timed out waiting for last boot time check").
@Suite("wait_for_connection and reboot") struct LabRebootTests {
    let lab = Lab()

    @Test func waitingAndRebootingAsFarAsTheLabCanShow() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "reboot")[0]
        _ = try lab.exec(host.name, "rm -f /tmp/reboot-*")
        let inventory = LabInventory.ini([host]) + """

            [closed]
            closed-port ansible_host=\(host.address) ansible_port=1 ansible_user=root ansible_ssh_private_key_file=\(lab.clientKeyPath)

            """
        let harness = try PlaybookHarness(files: ["inventory.ini": inventory, "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                # A login may take longer than the default 5 s while the whole suite loads the machine.
                - name: reachable
                  wait_for_connection: {delay: 1, timeout: 60, connect_timeout: 30}
                  register: reachable
                - name: predicted
                  reboot:
                  check_mode: true
                  register: predicted
                - name: failing command
                  reboot: {reboot_command: "echo no >&2; false"}
                  register: failing
                  ignore_errors: true
                - name: no reboot
                  reboot: {reboot_command: "touch /tmp/reboot-asked", reboot_timeout: 3}
                  register: stayed
                  ignore_errors: true
                - name: still there
                  copy:
                    dest: /tmp/reboot-results.json
                    content: "{{ {'reachable': reachable, 'predicted': predicted, 'failing': failing, 'stayed': stayed} | to_json }}"
            - hosts: closed
              gather_facts: false
              tasks:
                - name: never
                  wait_for_connection: {timeout: 3, connect_timeout: 1, sleep: 1}
                  ignore_errors: true
            """])
        let outcome = await harness.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        let results = try Value.parseJSON(try lab.exec(host.name, "cat /tmp/reboot-results.json").stdout)
        #expect(results["reachable"]?["elapsed"]?.intValue.map { $0 >= 1 } == true)
        #expect(results["reachable"]?["changed"] == false)
        #expect(results["predicted"]?["changed"] == true)
        #expect(results["predicted"]?["rebooted"] == true)
        #expect(results["failing"]?["failed"] == true)
        #expect(results["failing"]?["msg"] == "Reboot command failed. Error was: ', no'")
        #expect(results["stayed"]?["failed"] == true)
        #expect(results["stayed"]?["msg"] == "Timed out waiting for last boot time check (timeout=3)")
        #expect(try lab.exec(host.name, "ls /tmp/reboot-asked").status == 0)
        let never = outcome.results(named: "never").first
        #expect(never?.status == .ignored)
        #expect(never?.message?.hasPrefix("timed out waiting for ping module test: ") == true)
    }
}
