import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// ufw in a light lab host's own network namespace: rules, default policy, enabling, logging; ufw's own
/// files and status are inspected, and Ansible's module agrees that a converged host needs nothing.
@Suite("ufw module on a lab host", .serialized) struct UfwModuleTests {
    @Test func rulesPolicyStateAndLogging() async throws {
        let host = try await SystemLabHost.make("ufw")
        // ssh stays allowed throughout: the test reaches the host over it.
        try host.inspect("ufw --force reset >/dev/null; rm -f /etc/ufw/*.rules.*; ufw allow 22/tcp >/dev/null")
        let rules = "grep -h '^### tuple' /etc/ufw/user.rules /etc/ufw/user6.rules; ufw status verbose"
        let ssh: OrderedDictionary<String, Value> = ["rule": "allow", "port": "8022", "proto": "tcp", "comment": "ssh"]
        try await host.converges(UfwModule.self, ssh, fingerprint: rules)
        #expect(try host.inspect("grep -h '^### tuple' /etc/ufw/user.rules").contains("### tuple ### allow tcp 8022 0.0.0.0/0 any 0.0.0.0/0 in comment=737368\n"))
        let ansible = try AnsibleLabOracle.run("community.general.ufw", ssh, on: host)
        #expect(!ansible.failed && !ansible.changed, "\(ansible.result)")
        try await host.converges(UfwModule.self, ["rule": "deny", "from_ip": "10.0.0.0/8", "to_port": "5432", "proto": "tcp"], fingerprint: rules)
        try await host.converges(UfwModule.self, ["state": "enabled", "policy": "deny"], fingerprint: rules)
        #expect(try host.inspect("ufw status verbose").contains("Status: active"))
        try await host.converges(UfwModule.self, ["logging": "medium"], fingerprint: rules)
        try await host.converges(UfwModule.self, ssh.merging(["delete": true]) { $1 }, fingerprint: rules)
        #expect(!(try host.inspect("grep -h '^### tuple' /etc/ufw/user.rules").contains(" 8022 ")))
        let ansibleState = try AnsibleLabOracle.run("community.general.ufw", ["state": "enabled", "policy": "deny"], on: host)
        #expect(!ansibleState.failed && !ansibleState.changed, "\(ansibleState.result)")
        try await host.converges(UfwModule.self, ["state": "disabled"], fingerprint: rules)
    }
}
