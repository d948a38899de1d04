import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// `firewalld` (ansible.posix.firewalld's arguments) and offline mode against a real firewalld.
extension FirewalldLabTests {
@Suite("firewalld module on a real firewalld") struct FirewalldModuleLabTests {
    @Test func eachKindOfItemIsEnabledOnceAndDisabledOnce() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        // Permanent alone: the runtime does not know the zone until a reload (as with Ansible).
        #expect(try await lab.run(FirewalldModule.self, ["zone": "keelitems", "state": "present", "permanent": true]).changed)
        #expect(try lab.inspect("firewall-cmd --permanent --get-zones").contains("keelitems"))
        #expect(!(try lab.inspect("firewall-cmd --get-zones")).contains("keelitems"))
        #expect(try await lab.run(FirewalldModule.self, ["zone": "keelitems", "state": "absent", "permanent": true]).changed)
        // With immediate, Keel reloads so the runtime has it too.
        let create: OrderedDictionary<String, Value> = ["zone": "keelitems", "state": "present", "permanent": true, "immediate": true]
        #expect(try await lab.run(FirewalldModule.self, create).changed)
        #expect(try lab.inspect("firewall-cmd --get-zones").contains("keelitems"))
        #expect(!(try await lab.run(FirewalldModule.self, create)).changed)

        let items: [(OrderedDictionary<String, Value>, (ZoneSettings) -> Bool)] = [
            (["service": "https"], { $0.services == ["https"] }),
            (["port": "3000-3200/tcp"], { $0.ports == ["3000-3200/tcp"] }),
            (["protocol": "gre"], { $0.protocols == ["gre"] }),
            (["source": "192.0.2.0/24"], { $0.sources == ["192.0.2.0/24"] }),
            (["interface": "keel0"], { $0.interfaces == ["keel0"] }),
            (["rich_rule": "rule family=ipv4 service name=ftp source address=203.0.113.7 reject"],
             { $0.richRules == [#"rule family="ipv4" source address="203.0.113.7" service name="ftp" reject"#] }),
            (["masquerade": "yes"], { $0.masquerade }),
            (["icmp_block": "echo-request"], { $0.icmpBlocks == ["echo-request"] }),
            (["icmp_block_inversion": "true"], { $0.icmpBlockInversion }),
        ]
        for (item, holds) in items {
            var enable: OrderedDictionary<String, Value> = ["zone": "keelitems", "permanent": true, "immediate": true, "state": "enabled"]
            for (key, value) in item { enable[key] = value }
            let predicted = try await lab.run(FirewalldModule.self, enable, .check)
            #expect(predicted.changed, "\(item)")
            #expect(!holds(try lab.zone("keelitems", permanent: true)), "check mode changed \(item)")
            #expect(try await lab.run(FirewalldModule.self, enable).changed, "\(item)")
            #expect(holds(try lab.zone("keelitems", permanent: true)), "permanent \(item)")
            #expect(holds(try lab.zone("keelitems", permanent: false)), "runtime \(item)")
            #expect(!(try await lab.run(FirewalldModule.self, enable)).changed, "second run \(item)")

            var disable = enable
            disable["state"] = "disabled"
            #expect(try await lab.run(FirewalldModule.self, disable).changed, "\(item)")
            #expect(try lab.zone("keelitems", permanent: true) == ZoneSettings(), "\(item) left behind")
            #expect(try lab.zone("keelitems", permanent: false) == ZoneSettings(), "\(item) left behind at runtime")
            #expect(!(try await lab.run(FirewalldModule.self, disable)).changed)
        }

        // target: permanent only; present sets it, absent resets it.
        let target: OrderedDictionary<String, Value> = ["zone": "keelitems", "target": "DROP", "permanent": true, "state": "present"]
        #expect(try await lab.run(FirewalldModule.self, target).changed)
        #expect(try lab.zone("keelitems", permanent: true).target == "DROP")
        #expect(!(try await lab.run(FirewalldModule.self, target)).changed)
        var reset = target
        reset["state"] = "absent"
        #expect(try await lab.run(FirewalldModule.self, reset).changed)
        #expect(try lab.zone("keelitems", permanent: true).target == "default")

        #expect(try await lab.run(FirewalldModule.self, ["zone": "keelitems", "state": "absent", "permanent": true, "immediate": true]).changed)
        #expect(!(try lab.inspect("firewall-cmd --permanent --get-zones; firewall-cmd --get-zones")).contains("keelitems"))
    }

    @Test func permanentAloneLeavesTheRuntimeAndRuntimeAloneLeavesThePermanent() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        #expect(try await lab.run(FirewalldModule.self, ["service": "http", "permanent": true, "state": "enabled"]).changed)
        #expect(try lab.zone("public", permanent: true).services.contains("http"))
        #expect(!(try lab.zone("public", permanent: false).services.contains("http")))

        #expect(try await lab.run(FirewalldModule.self, ["port": "9000/tcp", "state": "enabled"]).changed)
        #expect(try lab.zone("public", permanent: false).ports == ["9000/tcp"])
        #expect(try lab.zone("public", permanent: true).ports.isEmpty)

        // A timed runtime rule is there now and firewalld takes it away by itself.
        #expect(try await lab.run(FirewalldModule.self, ["port": "9001/tcp", "state": "enabled", "timeout": 2]).changed)
        #expect(try lab.zone("public", permanent: false).ports.contains("9001/tcp"))
        try lab.inspect("for i in $(seq 100); do firewall-cmd --zone=public --query-port=9001/tcp >/dev/null || exit 0; sleep 0.1; done; exit 1")
    }

    @Test func anInterfaceOrSourceInAnotherZoneMovesToTheNamedOne() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.inspect("""
            firewall-cmd --permanent --zone=internal --add-interface=keel7 --add-interface=keel8
            firewall-cmd --zone=internal --add-interface=keel7 --add-interface=keel8
            firewall-cmd --permanent --zone=internal --add-source=192.0.2.0/24
            firewall-cmd --zone=internal --add-source=192.0.2.0/24
            """)
        for item: OrderedDictionary<String, Value> in [["interface": "keel7"], ["source": "192.0.2.0/24"]] {
            var args: OrderedDictionary<String, Value> = ["zone": "work", "permanent": true, "immediate": true, "state": "enabled"]
            for (key, value) in item { args[key] = value }
            #expect(try await lab.run(FirewalldModule.self, args).changed)
            #expect(!(try await lab.run(FirewalldModule.self, args)).changed)
        }
        for permanent in [true, false] {
            let flag = permanent ? "--permanent " : ""
            #expect(try lab.inspect("firewall-cmd \(flag)--get-zone-of-interface=keel7; firewall-cmd \(flag)--get-zone-of-source=192.0.2.0/24") == "work\nwork\n")
            #expect(try lab.zone("internal", permanent: permanent).interfaces == ["keel8"])
        }
        try lab.startClean()
    }

    @Test func badArgumentsAreRefusedBeforeTheHostIsTouched() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        await #expect { try await lab.run(FirewalldModule.self, ["port": "8080", "state": "enabled"]) } throws: { "\($0)".contains("PORT/PROTOCOL") }
        await #expect { try await lab.run(FirewalldModule.self, ["service": "htps", "state": "enabled"]) } throws: { "\($0)".contains("unknown firewalld service 'htps'") }
        await #expect { try await lab.run(FirewalldModule.self, ["service": "http", "port": "80/tcp", "state": "enabled"]) } throws: { "\($0)".contains("mutually exclusive") }
        await #expect { try await lab.run(FirewalldModule.self, ["service": "http", "state": "present"]) } throws: { "\($0)".contains("zone-level") }
        await #expect { try await lab.run(FirewalldModule.self, ["rich_rule": "rule family=ipv4 accept drop", "state": "enabled"]) } throws: { "\($0)".contains("more than one action") }
        await #expect { try await lab.run(FirewalldModule.self, ["service": "ssh", "state": "disabled"]) } throws: { "\($0)".contains("allow_lockout") }
        #expect(try lab.zone("public", permanent: false).services.contains("ssh"))
    }

    @Test func offlineChangesWriteAZoneFileThatFirewalldLoadsAsTheSameZone() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.stopFirewalld()

        let zone: OrderedDictionary<String, Value> = [
            "zone": "keeloffline", "sources": ["192.0.2.0/24"], "services": ["http", "https"], "ports": ["3000-3100/tcp"],
            "rich_rules": ["rule family=ipv4 source address=192.0.2.9 service name=ssh log prefix=off-ssh limit value=1/minute accept"],
            "target": "DROP", "masquerade": true, "purge": true, "log_denied": "unicast",
        ]
        let predicted = try await lab.run(FirewalldZoneModule.self, zone, .check)
        #expect(predicted.changed)
        #expect(predicted.values["offline"] == .bool(true))
        #expect(try lab.inspect("ls /etc/firewalld/zones") == "", "check mode wrote a file")

        #expect(try await lab.run(FirewalldZoneModule.self, zone).changed)
        #expect(!(try await lab.run(FirewalldZoneModule.self, zone)).changed, "offline is not idempotent")
        try lab.inspect("firewall-offline-cmd --check-config")
        // The ansible-compatible module offline: public drops nothing the controller needs.
        #expect(try await lab.run(FirewalldModule.self, ["service": "https", "permanent": true, "offline": true, "state": "enabled"]).changed)
        #expect(!(try await lab.run(FirewalldModule.self, ["service": "https", "permanent": true, "offline": true, "state": "enabled"])).changed)
        await #expect { try await lab.run(FirewalldModule.self, ["service": "http", "state": "enabled"]) } throws: { "\($0)".contains("not running") }

        try lab.inspect("systemctl start firewalld && firewall-cmd --state")
        let xml = try lab.inspect("cat /etc/firewalld/zones/keeloffline.xml")
        for permanent in [true, false] {
            let loaded = try lab.zone("keeloffline", permanent: permanent)
            #expect(loaded.services == ["http", "https"], "\(xml)")
            #expect(loaded.ports == ["3000-3100/tcp"])
            #expect(loaded.sources == ["192.0.2.0/24"])
            #expect(loaded.target == "DROP")
            #expect(loaded.masquerade)
            #expect(loaded.richRules == [#"rule family="ipv4" source address="192.0.2.9" service name="ssh" log prefix="off-ssh" limit value="1/m" accept"#])
        }
        #expect(try lab.zone("public", permanent: false).services.contains("https"))
        #expect(try lab.inspect("firewall-cmd --get-log-denied") == "unicast\n")
        // Online now, the same task finds nothing to do: offline and online agree.
        let online = try await lab.run(FirewalldZoneModule.self, zone)
        #expect(!online.changed, "\(online.diffs)")
        try lab.startClean()
    }

    @Test func anOfflineFileFirewalldWouldRejectIsNeverWritten() async throws {
        let lab = try await FirewalldLab.connect()
        try lab.startClean()
        try lab.stopFirewalld()
        #expect(try await lab.run(FirewalldZoneModule.self, ["zone": "keelroll", "services": ["http"]]).changed)
        let before = try lab.inspect("cat /etc/firewalld/zones/keelroll.xml")
        // Keel passes protocol names through; firewalld's check looks them up in /etc/protocols and refuses.
        await #expect { try await lab.run(FirewalldZoneModule.self, ["zone": "keelroll", "protocols": ["nosuchproto"]]) } throws: {
            "\($0)".contains("check-config") && "\($0)".contains("nosuchproto")
        }
        #expect(try lab.inspect("cat /etc/firewalld/zones/keelroll.xml") == before)
        #expect(try lab.inspect("ls -A /etc/firewalld/zones") == "keelroll.xml\n")
        try lab.startClean()
    }
}
}
