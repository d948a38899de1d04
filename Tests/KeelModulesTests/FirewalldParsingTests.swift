import Foundation
import KeelBase
import Testing
@testable import KeelModules

/// The pieces of the firewalld modules that need no host: rich rules in firewalld's canonical form,
/// firewall-cmd's listings, the zone XML, ports, addresses and the lock-out guard's reasoning.
@Suite("firewalld: parsing and reasoning") struct FirewalldParsingTests {
    @Test func richRulesWrittenDifferentlyHaveOneCanonicalForm() throws {
        let written = "rule family=ipv4 source address=10.8.0.0/16 service name=ssh log level=info prefix='ssh ' limit value=3/minute accept"
        let canonical = #"rule family="ipv4" source address="10.8.0.0/16" service name="ssh" log prefix="ssh " level="info" limit value="3/m" accept"#
        #expect(try RichRule(parsing: written).canonical == canonical)
        #expect(try RichRule(parsing: canonical).canonical == canonical)
        #expect(try RichRule(parsing: #"rule family=ipv4 source not address="1.2.3.4" drop"#).canonical == #"rule family="ipv4" source NOT address="1.2.3.4" drop"#)
        #expect(try RichRule(parsing: #"rule priority=-5 port protocol=tcp port=3000-3200 reject type=icmp-port-unreachable"#).canonical
                == #"rule priority="-5" port port="3000-3200" protocol="tcp" reject type="icmp-port-unreachable""#)
    }

    @Test func aBrokenRichRuleSaysWhatIsWrong() {
        #expect { try RichRule(parsing: "rule family=ipv5 accept") } throws: { "\($0)".contains("family is ipv4 or ipv6") }
        #expect { try RichRule(parsing: "rule service name=ssh accept drop") } throws: { "\($0)".contains("more than one action") }
        #expect { try RichRule(parsing: "allow ssh") } throws: { "\($0)".contains("starts with 'rule'") }
        #expect { try RichRule(parsing: "rule frobnicate accept") } throws: { "\($0)".contains("unknown element 'frobnicate'") }
        #expect { try RichRule(parsing: "rule source address=10.0.0.0/8 accept") } throws: { "\($0)".contains("needs family") }
    }

    @Test func aRichRuleSurvivesTheZoneXML() throws {
        let rule = try RichRule(parsing: #"rule family="ipv4" source NOT address="10.0.0.0/8" port port="22" protocol="tcp" log prefix="x" level="warning" limit value="1/m" accept"#)
        let xml = ZoneXML.serialize(rule.xmlElement)
        #expect(xml.contains(#"<source address="10.0.0.0/8" invert="True"/>"#))
        let zone = try ZoneXML(parsing: "<?xml version=\"1.0\"?><zone>\(xml)</zone>")
        #expect(try zone.settings.richRules == [rule.canonical])
    }

    @Test func listAllIsReadWholeIncludingRichRules() throws {
        let listing = """
            public (active)
              target: DROP
              icmp-block-inversion: no
              interfaces: host0
              sources: 10.0.0.0/8 192.168.1.0/24
              services: https http
              ports: 3000-3100/tcp 53/udp
              protocols: gre
              forward: yes
              masquerade: yes
              forward-ports:\u{20}
              source-ports:\u{20}
              icmp-blocks: echo-request
              rich rules:\u{20}
            \trule family="ipv4" source address="10.8.0.0/16" service name="ssh" accept
            \trule service name="ftp" drop
            """
        let settings = try ListAllParser.parse(listing)
        #expect(settings.target == "DROP")
        #expect(settings.interfaces == ["host0"])
        #expect(settings.sources == ["10.0.0.0/8", "192.168.1.0/24"])
        #expect(settings.services == ["http", "https"])
        #expect(settings.ports == ["3000-3100/tcp", "53/udp"])
        #expect(settings.protocols == ["gre"])
        #expect(settings.masquerade)
        #expect(!settings.icmpBlockInversion)
        #expect(settings.icmpBlocks == ["echo-request"])
        #expect(settings.richRules == [#"rule family="ipv4" source address="10.8.0.0/16" service name="ssh" accept"#, #"rule service name="ftp" drop"#])
    }

    @Test func zoneXMLIsWrittenWithWhatKeelDoesNotManageKept() throws {
        let shipped = """
            <?xml version="1.0" encoding="utf-8"?>
            <zone>
              <short>Public</short>
              <description>For use in public areas &amp; such.</description>
              <service name="ssh"/>
              <service name="dhcpv6-client"/>
              <forward/>
            </zone>
            """
        let zone = try ZoneXML(parsing: shipped)
        #expect(try zone.settings.services == ["dhcpv6-client", "ssh"])
        var wanted = ZoneSettings()
        wanted.target = "DROP"
        wanted[.service] = ["https", "http"]
        wanted[.port] = ["3000-3100/tcp"]
        wanted[.source] = ["10.0.0.0/8"]
        wanted.masquerade = true
        wanted[.richRule] = [#"rule family="ipv4" source address="10.8.0.0/16" service name="ssh" accept"#]
        let text = try zone.text(with: wanted)
        #expect(text == """
            <?xml version="1.0" encoding="utf-8"?>
            <zone target="DROP">
              <short>Public</short>
              <description>For use in public areas &amp; such.</description>
              <source address="10.0.0.0/8"/>
              <service name="http"/>
              <service name="https"/>
              <port port="3000-3100" protocol="tcp"/>
              <masquerade/>
              <forward/>
              <rule family="ipv4">
                <source address="10.8.0.0/16"/>
                <service name="ssh"/>
                <accept/>
              </rule>
            </zone>

            """)
        #expect(try ZoneXML(parsing: text).settings == wanted)
    }

    @Test func portsAreCheckedAndSpelledAsFirewalldDoes() throws {
        #expect(try PortSpec.validated("8080/tcp") == "8080/tcp")
        #expect(try PortSpec.validated("3000-3200/udp") == "3000-3200/udp")
        #expect(try PortSpec.validated("22-22/tcp") == "22/tcp")
        for bad in ["8080", "0/tcp", "70000/tcp", "200-100/tcp", "80/icmp", "http/tcp"] {
            #expect(throws: KeelError.self) { try PortSpec.validated(bad) }
        }
        #expect(PortSpec.contains("20-30/tcp", port: 22))
        #expect(!PortSpec.contains("22/udp", port: 22))
    }

    @Test func addressesMatchNetworks() {
        #expect(AddressMatch.contains("198.18.0.0/15", "198.19.0.10"))
        #expect(!AddressMatch.contains("198.18.0.0/16", "198.19.0.10"))
        #expect(AddressMatch.contains("198.18.0.1", "198.18.0.1"))
        #expect(AddressMatch.contains("10.0.0.0/255.0.0.0", "10.1.2.3"))
        #expect(AddressMatch.contains("2001:db8::/32", "2001:db8:1::5"))
        #expect(!AddressMatch.contains("2001:db8::/32", "10.0.0.1"))
    }

    func observation(bindings: [String: ZoneBindings] = [:]) -> FirewalldObservation {
        var observation = FirewalldObservation()
        observation.zone = "public"
        observation.defaultZone = "public"
        observation.controller = ControllerAddress(address: "198.18.0.1", port: 22, interface: "host0")
        observation.servicePorts = ["ssh": ["22/tcp"], "http": ["80/tcp"]]
        observation.bindings = bindings
        return observation
    }

    func zone(services: [String] = [], sources: [String] = [], rules: [String] = []) -> ZoneSettings {
        var settings = ZoneSettings()
        settings[.service] = services
        settings[.source] = sources
        settings[.richRule] = rules
        return settings
    }

    @Test func theGuardRefusesDroppingSSHFromTheDefaultZone() throws {
        let guardian = LockoutGuard(zone: "public", observation: observation())
        #expect { try guardian.check(before: zone(services: ["ssh"]), after: zone(services: ["http"]), configuration: "runtime") } throws: {
            "\($0)".contains("198.18.0.1") && "\($0)".contains("allow_lockout")
        }
        // A rich rule from the controller's network keeps SSH.
        try guardian.check(before: zone(services: ["ssh"]),
                           after: zone(rules: [#"rule family="ipv4" source address="198.18.0.0/15" service name="ssh" accept"#]),
                           configuration: "runtime")
        // A rich rule for someone else's network does not.
        #expect(throws: KeelError.self) {
            try guardian.check(before: zone(services: ["ssh"]),
                               after: zone(rules: [#"rule family="ipv4" source address="10.0.0.0/8" service name="ssh" accept"#]),
                               configuration: "runtime")
        }
    }

    @Test func theGuardLetsAZoneGoWhenAnotherZoneHandlesTheController() throws {
        let guardian = LockoutGuard(zone: "public", observation: observation(bindings: ["admin": ZoneBindings(sources: ["198.18.0.0/15"])]))
        try guardian.check(before: zone(services: ["ssh"]), after: zone(services: ["http"]), configuration: "permanent")
        // Binding the controller's network to a zone without SSH is refused.
        let dropZone = LockoutGuard(zone: "drop", observation: observation())
        #expect(throws: KeelError.self) {
            try dropZone.check(before: zone(), after: zone(sources: ["198.18.0.0/16"]), configuration: "permanent")
        }
    }
}
