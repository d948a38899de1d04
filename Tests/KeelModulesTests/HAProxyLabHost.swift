import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import KeelTransport
import OrderedCollections

/// A systemd-flavor lab host for the HAProxy suites: reached over SSH as a playbook would reach it,
/// inspected directly through the lab, with small HTTP backends (python3 -m http.server on 127.0.0.1)
/// and HAProxy started by the tests (it is installed but not enabled at boot).
struct HAProxyLabHost: Sendable {
    let host: LabHost
    let context: HostContext
    static let lab = LabFixture.shared.lab

    static func make(prefix: String) async throws -> HAProxyLabHost {
        let host = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: prefix)[0]
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        return HAProxyLabHost(host: host, context: HostContext(name: host.name, connection: connection))
    }

    /// Runs a script inside the host (not through Keel); fails on a non-zero status.
    @discardableResult
    func exec(_ script: String) throws -> String {
        let result = try Self.lab.exec(host.name, script)
        guard result.status == 0 else { throw Failure("`\(script)` exited \(result.status): \(result.stderr)") }
        return result.stdout
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// An HTTP server answering on 127.0.0.1:PORT with a page saying NAME (a transient systemd unit).
    func startBackend(port: Int, name: String) throws {
        try exec("""
            mkdir -p /srv/\(name) && echo \(name) > /srv/\(name)/index.html
            systemctl is-active --quiet app-\(port) || systemd-run --unit=app-\(port) --quiet \
              python3 -m http.server \(port) --bind 127.0.0.1 --directory /srv/\(name)
            for i in $(seq 1 100); do curl -fs -o /dev/null http://127.0.0.1:\(port)/ && exit 0; sleep 0.1; done; exit 1
            """)
    }

    func stopBackend(port: Int) throws { try exec("systemctl stop app-\(port) 2>/dev/null; true") }

    /// Debian's haproxy.service running on whatever /etc/haproxy/haproxy.cfg holds.
    func startHAProxy() throws { try exec("systemctl start haproxy && systemctl is-active haproxy") }

    /// `show stat` rows as (backend/server -> status).
    func serverStatus(socket: String) throws -> [String: String] {
        let csv = try exec("echo 'show stat' | socat stdio unix-connect:\(socket)")
        var result: [String: String] = [:]
        for line in csv.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: ",", omittingEmptySubsequences: false)
            if f.count > 17 { result["\(f[0])/\(f[1])"] = String(f[17]) }
        }
        return result
    }

    /// Polls until `condition` holds (or gives up after `attempts` tries a tenth of a second apart).
    func eventually(_ attempts: Int = 300, _ condition: () throws -> Bool) async throws -> Bool {
        for _ in 0..<attempts {
            if try condition() { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// curl from this machine (the controller) to the host's lab address: (status, headers, body).
    func curl(port: Int, path: String = "/", scheme: String = "http", options: [String] = []) throws -> (status: Int, headers: String, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        let headerFile = FileManager.default.temporaryDirectory.appendingPathComponent("keel-hap-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: headerFile) }
        process.arguments = ["-s", "--max-time", "10", "-D", headerFile, "-o", "-", "-w", "\n%{http_code}"] + options
            + ["\(scheme)://\(host.address):\(port)\(path)"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let status = Int(text.split(separator: "\n").last ?? "") ?? 0
        let body = text.split(separator: "\n").dropLast().joined(separator: "\n")
        let headers = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        return (status, headers, body)
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
