import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelTransport

/// Typed connection variables are checked before anything connects: a value that is out of range or
/// of the wrong type is refused with the host, the variable and the value (issue 14, defect 5).
@Suite("Connection settings validation") struct ConnectionSettingsValidationTests {
    let config = SSHConfig(text: "")

    func refusal(_ variables: OrderedDictionary<String, Value>) -> String? {
        do {
            _ = try HostConnectionSettings(hostName: "web1", variables: variables, config: config)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func aPortAbove65535IsRefusedNotWrapped() {
        let message = refusal(["ansible_host": "192.0.2.1", "ansible_port": 99999])
        #expect(message == "web1: invalid ansible_port '99999': expected a port number from 1 to 65535")
    }

    @Test func aPortThatIsNotANumberIsRefusedNotReplacedBy22() {
        let message = refusal(["ansible_host": "192.0.2.1", "ansible_port": "abc"])
        #expect(message == "web1: invalid ansible_port 'abc': expected a port number from 1 to 65535")
        #expect(refusal(["ansible_ssh_port": 0])?.contains("ansible_ssh_port '0'") == true)
    }

    @Test func timeoutsMustBePositiveNumbersAndBooleansBooleans() {
        #expect(refusal(["ansible_timeout": "soon"])?.contains("invalid ansible_timeout 'soon': expected a positive number of seconds") == true)
        #expect(refusal(["ansible_timeout": -5])?.contains("invalid ansible_timeout '-5'") == true)
        #expect(refusal(["ansible_host_key_checking": "maybe"])?.contains("invalid ansible_host_key_checking 'maybe'") == true)
        #expect(refusal(["ansible_ssh_common_args": "-o ConnectTimeout=never"])?.contains("ConnectTimeout") == true)
        #expect(refusal(["ansible_connection": "telnet"])?.contains("invalid ansible_connection 'telnet'") == true)
    }

    @Test func goodValuesStillWork() throws {
        let settings = try HostConnectionSettings(hostName: "web1", variables: [
            "ansible_host": "192.0.2.1", "ansible_port": "2222", "ansible_timeout": "7", "ansible_host_key_checking": "no",
        ], config: config)
        guard case .ssh(let target) = settings.kind else { Issue.record("expected ssh"); return }
        #expect(target.port == 2222)
        #expect(target.connectTimeout == 7)
        #expect(target.hostKeyPolicy == .off)
    }

    @Test func theCacheKeyTellsTargetsApartByUserPortAndAddress() throws {
        func key(_ variables: OrderedDictionary<String, Value>) throws -> String {
            try HostConnectionSettings(hostName: "web1", variables: variables, config: config).cacheKey
        }
        let base: OrderedDictionary<String, Value> = ["ansible_host": "192.0.2.1", "ansible_user": "root"]
        var otherUser = base; otherUser["ansible_user"] = "deploy"
        var otherPort = base; otherPort["ansible_port"] = 2222
        #expect(try key(base) == key(base))
        #expect(try key(base) != key(otherUser))
        #expect(try key(base) != key(otherPort))
    }

    @Test func theCommandLineBecomePasswordIsATypedOptionThatAHostVariableOverrides() throws {
        let cli = try HostConnectionSettings(hostName: "web1", variables: ["ansible_host": "192.0.2.1"], becomePassword: "cli", config: config)
        let host = try HostConnectionSettings(hostName: "web1", variables: ["ansible_host": "192.0.2.1", "ansible_become_password": "var"],
                                              becomePassword: "cli", config: config)
        guard case .ssh(let a) = cli.kind, case .ssh(let b) = host.kind else { Issue.record("expected ssh"); return }
        #expect(a.becomePassword == "cli")
        #expect(b.becomePassword == "var")
    }

    @Test func sudoRefusalsNameTheirCause() {
        #expect(PrivilegeEscalation.refusal("sudo: unknown user nosuch\nsudo: error initializing audit plugin sudoers_audit\n",
                                            user: "nosuch", loginUser: "root", exe: "sudo")?.contains("'nosuch' to become does not exist") == true)
        #expect(PrivilegeEscalation.refusal("sudo: a password is required\n", user: "x", loginUser: "ops", exe: "sudo") == nil)
    }
}
