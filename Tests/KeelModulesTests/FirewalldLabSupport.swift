import Foundation
import KeelBase
import KeelLab
import KeelTestSupport
import KeelTransport
import OrderedCollections
@testable import KeelModules

/// One systemd lab host with firewalld, reached over SSH as a playbook would reach it, plus direct
/// access (nsenter, not Keel) to check what firewalld really has.
struct FirewalldLab {
    let host: LabHost
    let context: HostContext
    let lab: Lab

    /// The suites' one SSH connection to the host, opened once per test process (as the engine keeps one per host).
    static func connect() async throws -> FirewalldLab {
        try await Shared.instance.lab()
    }

    private actor Shared {
        static let instance = Shared()
        var cached: FirewalldLab?

        func lab() async throws -> FirewalldLab {
            if let cached { return cached }
            let lab = try await FirewalldLab.open()
            cached = lab
            return lab
        }
    }

    /// A new SSH connection of its own; the caller closes it.
    static func open() async throws -> FirewalldLab {
        let hosts = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "fw")
        let host = hosts[0]
        let lab = LabFixture.shared.lab
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        return FirewalldLab(host: host, context: HostContext(name: host.name, connection: connection), lab: lab)
    }

    /// Runs a script in the host directly and returns its stdout; throws with stderr when it fails.
    @discardableResult
    func inspect(_ script: String) throws -> String {
        let result = try lab.exec(host.name, script)
        guard result.status == 0 else {
            throw KeelError("inspection `\(script)` exited \(result.status): \(result.stderr)\(result.stdout)")
        }
        return result.stdout
    }

    /// firewalld running, with the shipped public zone (SSH open) and none of the tests' zones, so every
    /// test starts from the same host whatever ran before.
    func startClean() throws {
        try inspect("""
            systemctl stop firewalld >/dev/null 2>&1 || true
            rm -f /etc/firewalld/zones/*.xml /etc/firewalld/zones/*.xml.old
            sed -i 's/^LogDenied=.*/LogDenied=off/' /etc/firewalld/firewalld.conf
            # Tests start and stop firewalld more often than systemd's start limit allows by default.
            systemctl reset-failed firewalld 2>/dev/null || true
            systemctl start firewalld
            firewall-cmd --state
            """)
    }

    func stopFirewalld() throws {
        try inspect("systemctl stop firewalld; systemctl reset-failed firewalld 2>/dev/null; ! firewall-cmd --state 2>/dev/null")
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// `firewall-cmd [--permanent] --zone=Z --list-all` as firewalld itself reports it.
    func zone(_ name: String, permanent: Bool) throws -> ZoneSettings {
        try ListAllParser.parse(inspect("firewall-cmd \(permanent ? "--permanent " : "")--zone=\(name) --list-all"))
    }

    /// A TCP server in the host answering HTTP on `port` (a transient systemd unit, so it outlives nsenter).
    func listen(on port: Int) throws {
        try inspect("""
            systemctl is-active --quiet keel-fw-\(port) || systemd-run --quiet --unit=keel-fw-\(port) --working-directory=/tmp \
              python3 -m http.server \(port) --bind 0.0.0.0
            for i in $(seq 50); do python3 -c 'import socket; socket.create_connection(("127.0.0.1", \(port)), 1)' 2>/dev/null && exit 0; sleep 0.1; done
            echo "nothing listens on \(port)" >&2; exit 1
            """)
    }

    /// Connects from this machine (the controller, 198.18.0.1) to the host's port: curl's exit status
    /// (0 answered, 7 refused or unreachable, 28 no answer).
    func connectFromController(port: Int) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-s", "-o", "/dev/null", "--max-time", "5", "http://\(host.address):\(port)/"]
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}
