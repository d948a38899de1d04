import KeelBase
import KeelModules
import Testing

/// How modules read the ports they will use from their arguments (port-conflict detection).
@Suite("Port claims") struct PortClaimTests {
    @Test func publishedPortsAsPodmanAndDockerWriteThem() {
        #expect(PortClaim.published("8080:80").map(\.port) == [8080])
        #expect(PortClaim.published("127.0.0.1:3000:3000/tcp").first.map { [$0.address, $0.proto] } == ["127.0.0.1", "tcp"])
        #expect(PortClaim.published("0.0.0.0:53:53/udp").first.map { [$0.address, $0.proto] } == [nil, "udp"])
        #expect(PortClaim.published("[::1]:8443:443").first?.address == "::1")
        #expect(PortClaim.published("3000-3002:3000-3002").map(\.port) == [3000, 3001, 3002])
        #expect(PortClaim.published("80").isEmpty, "a bare container port gets a random host port")
        #expect(PortClaim.published("::80").isEmpty)
    }

    @Test func haproxyBindsAndFirewalldPorts() {
        let claims = HAProxyConfigModule.portClaims(["frontends": [
            ["name": "web", "binds": [":80", ["address": "*:443", "ssl_certificates": "/etc/ssl/x.pem"]]],
            ["name": "local", "bind": "127.0.0.1:8080,198.18.0.5:8081"],
            ["name": "sock", "bind": "unix@/run/haproxy.sock"],
        ]])
        #expect(claims.map(\.port) == [80, 443, 8080, 8081])
        #expect(claims.map(\.address) == [nil, nil, "127.0.0.1", "198.18.0.5"])
        #expect(claims[2].what == "bind 127.0.0.1:8080 of frontend local")
        #expect(FirewalldModule.portClaims(["port": "3000-3001/udp", "state": "enabled"]).map { "\($0.port)/\($0.proto)/\($0.kind)" }
                == ["3000/udp/opensFirewall", "3001/udp/opensFirewall"])
        #expect(FirewalldModule.portClaims(["port": "80/tcp", "state": "disabled"]).isEmpty)
        #expect(PortClaim.ports("1-70000").isEmpty && PortClaim.ports("0").isEmpty && PortClaim.ports("x").isEmpty)
    }

    @Test func collisionsNeedTheSamePortProtocolAndAnOverlappingAddress() {
        let any80 = PortClaim(port: 80, what: "a"), local80 = PortClaim(port: 80, address: "127.0.0.1", what: "b")
        #expect(any80.collides(with: local80))
        #expect(!local80.collides(with: PortClaim(port: 80, address: "198.18.0.5", what: "c")))
        #expect(!any80.collides(with: PortClaim(port: 80, proto: "udp", what: "d")))
    }
}
