import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// Every test that changes the lab host's firewalld: one host, one firewalld, so the suites inside take
/// turns, test by test.
@Suite("firewalld on a real host", .serialized) struct FirewalldLabTests {}

/// firewalld_zone against a real firewalld (nftables backend) in a systemd lab host.
extension FirewalldLabTests {
@Suite("firewalld_zone on a real firewalld") struct FirewalldZoneLabTests {
    let rule = "rule family=ipv4 source address=192.0.2.0/24 port port=8443 protocol=tcp log prefix=keel-8443 level=info accept"

    var described: OrderedDictionary<String, Value> {
        ["zone": "keeltest", "sources": ["192.0.2.0/24"], "services": ["http", "https"], "ports": ["3000-3100/tcp", "5353/udp"],
         "rich_rules": .list([.string(rule)]), "masquerade": true, "target": "DROP", "icmp_blocks": ["echo-request"], "purge": true]
    }

    @Test func aNewZoneIsPredictedThenCreatedInBothConfigurationsThenLeftAlone() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()

        let predicted = try await lab.run(FirewalldZoneModule.self, described, .check)
        #expect(predicted.changed)
        let diff = try #require(predicted.diffs.first { $0.label.contains("permanent") })
        #expect(diff.before == "")
        #expect(diff.after.contains("service: https\n"))
        #expect(diff.after.contains("target: DROP\n"))
        #expect(!(try lab.inspect("firewall-cmd --permanent --get-zones")).contains("keeltest"), "check mode created the zone")

        #expect(try await lab.run(FirewalldZoneModule.self, described).changed)
        for permanent in [true, false] {
            let zone = try lab.zone("keeltest", permanent: permanent)
            #expect(zone.services == ["http", "https"])
            #expect(zone.ports == ["3000-3100/tcp", "5353/udp"])
            #expect(zone.sources == ["192.0.2.0/24"])
            #expect(zone.target == "DROP")
            #expect(zone.masquerade)
            #expect(zone.icmpBlocks == ["echo-request"])
            #expect(zone.richRules == [#"rule family="ipv4" source address="192.0.2.0/24" port port="8443" protocol="tcp" log prefix="keel-8443" level="info" accept"#])
        }
        let again = try await lab.run(FirewalldZoneModule.self, described)
        #expect(!again.changed, "second run changed: \(again.diffs)")
        #expect(!(try await lab.run(FirewalldZoneModule.self, described, .check)).changed)
    }

    @Test func purgeRemovesWhatIsNotListedAndTheDiffShowsIt() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        _ = try await lab.run(FirewalldZoneModule.self, described)

        let smaller: OrderedDictionary<String, Value> = ["zone": "keeltest", "sources": ["192.0.2.0/24"], "services": ["https"], "purge": true]
        let predicted = try await lab.run(FirewalldZoneModule.self, smaller, .check)
        #expect(predicted.changed)
        let runtime = try #require(predicted.diffs.first { $0.label.contains("runtime") })
        #expect(runtime.before.contains("service: http\n") && !runtime.after.contains("service: http\n"))
        #expect(runtime.before.contains("port: 3000-3100/tcp") && !runtime.after.contains("port:"))
        #expect(try lab.zone("keeltest", permanent: false).services == ["http", "https"], "check mode changed the runtime")

        #expect(try await lab.run(FirewalldZoneModule.self, smaller).changed)
        for permanent in [true, false] {
            let zone = try lab.zone("keeltest", permanent: permanent)
            #expect(zone.services == ["https"])
            #expect(zone.ports.isEmpty && zone.richRules.isEmpty && zone.icmpBlocks.isEmpty)
            #expect(!zone.masquerade)
            #expect(zone.target == "default")
        }
        #expect(!(try await lab.run(FirewalldZoneModule.self, smaller)).changed)

        // Without purge, listed items are added and nothing is taken away.
        let more: OrderedDictionary<String, Value> = ["zone": "keeltest", "services": ["imap"]]
        #expect(try await lab.run(FirewalldZoneModule.self, more).changed)
        #expect(try lab.zone("keeltest", permanent: true).services == ["https", "imap"])
        #expect(!(try await lab.run(FirewalldZoneModule.self, more)).changed)

        #expect(try await lab.run(FirewalldZoneModule.self, ["zone": "keeltest", "state": "absent"]).changed)
        #expect(!(try lab.inspect("firewall-cmd --permanent --get-zones; firewall-cmd --get-zones")).contains("keeltest"))
        #expect(!(try await lab.run(FirewalldZoneModule.self, ["zone": "keeltest", "state": "absent"])).changed)
    }

    @Test func aZoneThatExistsOnlyPermanentlyIsBroughtIntoTheRuntime() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.inspect("firewall-cmd --permanent --new-zone=keelhalf")
        let args: OrderedDictionary<String, Value> = ["zone": "keelhalf", "services": ["http"]]
        let predicted = try await lab.run(FirewalldZoneModule.self, args, .check)
        #expect(predicted.changed)
        #expect(try await lab.run(FirewalldZoneModule.self, args).changed)
        #expect(try lab.zone("keelhalf", permanent: false).services == ["http"])
        #expect(!(try await lab.run(FirewalldZoneModule.self, args)).changed)
        try lab.startClean()
    }

    @Test func anOpenedPortIsReachableFromTheControllerAndAClosedOneIsNot() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.listen(on: 3000)
        try lab.listen(on: 3100)
        // Before: the shipped public zone (ssh, dhcpv6-client) rejects both.
        #expect(try lab.connectFromController(port: 3000) != 0)

        let policy: OrderedDictionary<String, Value> = ["zone": "public", "services": ["ssh"], "ports": ["3000/tcp"], "purge": true]
        #expect(try await lab.run(FirewalldZoneModule.self, policy).changed)
        #expect(try lab.connectFromController(port: 3000) == 0, "the opened port does not answer")
        let closed = try lab.connectFromController(port: 3100)
        #expect(closed == 7, "the closed port was not refused (curl exit \(closed))")
        #expect(try lab.inspect("ss -Htln 'sport = :3100'").contains("3100"), "the closed port has a listener: the firewall refused it")
        #expect(!(try await lab.run(FirewalldZoneModule.self, policy)).changed)
    }

    @Test func theLockOutGuardRefusesToDropSSHFromTheController() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        let noSSH: OrderedDictionary<String, Value> = ["zone": "public", "services": ["http"], "purge": true]
        await #expect { try await lab.run(FirewalldZoneModule.self, noSSH, .check) } throws: { error in
            "\(error)".contains("198.18.0.1") && "\(error)".contains("port 22") && "\(error)".contains("allow_lockout")
        }
        #expect(try lab.zone("public", permanent: false).services.contains("ssh"))

        // SSH from the controller's network through a zone of its own: then public may drop it.
        let admin: OrderedDictionary<String, Value> = ["zone": "keeladmin", "sources": ["198.18.0.1/32"], "services": ["ssh"], "purge": true]
        #expect(try await lab.run(FirewalldZoneModule.self, admin).changed)
        #expect(try await lab.run(FirewalldZoneModule.self, noSSH).changed)
        #expect(try lab.zone("public", permanent: false).services == ["http"])
        // Keel still reaches the host over a new connection.
        let fresh = try await FirewalldLab.open()
        #expect(try await fresh.context.run("echo still here").stdoutText == "still here\n")
        await fresh.context.connection.close()
        // And removing the admin zone's SSH now would lock the controller out.
        await #expect { try await lab.run(FirewalldZoneModule.self, ["zone": "keeladmin", "sources": ["198.18.0.1/32"], "services": [], "purge": true]) } throws: {
            "\($0)".contains("allow_lockout")
        }
        try lab.startClean()
    }

    @Test func logDeniedLogsRefusedPackets() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        let args: OrderedDictionary<String, Value> = ["zone": "public", "services": ["ssh"], "log_denied": "all"]
        let predicted = try await lab.run(FirewalldZoneModule.self, args, .check)
        #expect(predicted.diffs.contains { $0.label == "firewalld LogDenied" && $0.after == "log-denied: all\n" })
        #expect(try await lab.run(FirewalldZoneModule.self, args).changed)
        #expect(try lab.inspect("firewall-cmd --get-log-denied") == "all\n")
        #expect(try lab.inspect("sed -n 's/^LogDenied=//p' /etc/firewalld/firewalld.conf") == "all\n")
        #expect(!(try await lab.run(FirewalldZoneModule.self, args)).changed)
        // The nftables ruleset carries the log statements firewalld made for denied packets.
        let ruleset = try lab.inspect("nft list chain inet firewalld filter_IN_public")
        #expect(ruleset.contains("log prefix \"filter_IN_public_REJECT: \""))
        try FirewalldLogProbe.expectLogLine(lab: lab, port: 3999)
    }
}
}
