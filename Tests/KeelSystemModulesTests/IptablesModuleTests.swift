import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// iptables in a light lab host's own network namespace: rules, insert position, policy, chains and flush,
/// checked with `iptables -S`, and against ansible.builtin.iptables on the same host (each finds the other's rules).
@Suite("iptables module on a lab host", .serialized) struct IptablesModuleTests {
    func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("iptables")
        try host.inspect("iptables -F INPUT; iptables -P FORWARD ACCEPT; iptables -F KEEL 2>/dev/null; iptables -X KEEL 2>/dev/null; true")
        return host
    }

    @Test func aRuleIsAddedOnceAndAnsibleAgrees() async throws {
        let host = try await host()
        let fingerprint = "iptables -S INPUT"
        let ssh: OrderedDictionary<String, Value> = ["chain": "INPUT", "protocol": "tcp", "destination_port": "2222", "ctstate": ["NEW"],
                                                      "jump": "ACCEPT", "comment": "keel ssh"]
        let result = try await host.converges(IptablesModule.self, ssh, fingerprint: fingerprint)
        #expect(result.values["rule"] == "-p tcp -j ACCEPT --destination-port 2222 -m conntrack --ctstate NEW -m comment --comment keel ssh")
        #expect(try host.inspect(fingerprint).contains("-A INPUT -p tcp -m tcp --dport 2222 -m conntrack --ctstate NEW -m comment --comment \"keel ssh\" -j ACCEPT"))
        let ansible = try AnsibleLabOracle.run("ansible.builtin.iptables", ssh, on: host)
        #expect(!ansible.failed && !ansible.changed, "\(ansible.result)")
        #expect(ansible.result["rule"] == result.values["rule"])
        // Ansible adds a rule; Keel finds it.
        let web: OrderedDictionary<String, Value> = ["chain": "INPUT", "protocol": "tcp", "destination_ports": ["80", "443"], "jump": "ACCEPT"]
        #expect(try AnsibleLabOracle.run("ansible.builtin.iptables", web, on: host).changed)
        #expect(try await host.run(IptablesModule.self, web).changed == false)
        // Inserted at the top, then removed.
        try await host.converges(IptablesModule.self, ["chain": "INPUT", "source": "198.18.0.1", "jump": "ACCEPT", "action": "insert", "rule_num": "1"],
                                 fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint).split(separator: "\n").dropFirst().first == "-A INPUT -s 198.18.0.1/32 -j ACCEPT")
        try await host.converges(IptablesModule.self, ssh.merging(["state": "absent"]) { $1 }, fingerprint: fingerprint)
        #expect(!(try host.inspect(fingerprint).contains("2222")))
    }

    @Test func policyChainsAndFlush() async throws {
        let host = try await host()
        try await host.converges(IptablesModule.self, ["chain": "FORWARD", "policy": "DROP"], fingerprint: "iptables -S FORWARD")
        #expect(try host.inspect("iptables -S FORWARD | head -n 1") == "-P FORWARD DROP\n")
        try await host.converges(IptablesModule.self, ["chain": "KEEL", "chain_management": true], fingerprint: "iptables -S KEEL 2>&1; true")
        try await host.converges(IptablesModule.self, ["chain": "KEEL", "jump": "RETURN", "protocol": "udp"], fingerprint: "iptables -S KEEL")
        // flush always reports a change, as Ansible's does.
        #expect(try await host.run(IptablesModule.self, ["chain": "KEEL", "flush": true]).changed)
        #expect(try host.inspect("iptables -S KEEL") == "-N KEEL\n")
        try await host.converges(IptablesModule.self, ["chain": "KEEL", "chain_management": true, "state": "absent"], fingerprint: "iptables -S KEEL 2>&1; true")
        try host.inspect("iptables -P FORWARD ACCEPT")
        await #expect { try await host.run(IptablesModule.self, ["chain": "INPUT", "log_prefix": "x", "jump": "DROP"]) } throws: {
            "\($0)".contains("Logging options can only be used with the LOG jump target")
        }
    }
}
