import Foundation
import KeelBase
import Synchronization

/// Debian's pebble (a small ACME test CA) and pebble-challtestsrv (its DNS) running on this machine for the
/// test process: the directory on 127.0.0.1, names resolved by challtestsrv (every name to `defaultAddress`
/// unless a test points it elsewhere), HTTP-01 validated on port 80 of that address. Its HTTPS certificate
/// is made here with openssl (a test fixture, not Keel code); the CA's root comes from pebble's management API.
/// Ports are picked free; the processes run under `timeout` so none outlives a crashed test run by long.
final class PebbleCA: @unchecked Sendable {
    let directory: String
    let managementURL: String
    let challengeServerURL: String
    /// The CA certificate of pebble's own HTTPS listener (what `ca_path` must name).
    let listenerCAPath: String
    let workDirectory: String
    private var processes: [Process] = []

    /// Starts pebble; `environment` adds PEBBLE_* settings (PEBBLE_WFE_NONCEREJECT for badNonce tests).
    /// `macKeys` (kid -> base64url MAC key): external account binding required, with these keys.
    init(defaultAddress: String, environment: [String: String] = [:], macKeys: [String: String] = [:]) throws {
        for tool in ["/usr/bin/pebble", "/usr/bin/pebble-challtestsrv", "/usr/bin/openssl", "/usr/bin/curl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw Failure("\(tool) is missing: run scripts/install-deps.sh (Debian packages pebble, openssl, curl)")
        }
        workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pebble-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        _ = Self.killAtExit
        Self.directories.withLock { [workDirectory] in $0.append(workDirectory) }
        let wfe = try Self.freePort(), management = try Self.freePort(), dns = try Self.freePort(), challManagement = try Self.freePort()
        directory = "https://127.0.0.1:\(wfe)/dir"
        managementURL = "https://127.0.0.1:\(management)"
        challengeServerURL = "http://127.0.0.1:\(challManagement)"
        listenerCAPath = workDirectory + "/listener.pem"
        try Self.shell("""
            cd \(workDirectory)
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout listener.key -out listener.pem -days 30 \
              -subj /CN=pebble-listener -addext subjectAltName=IP:127.0.0.1,DNS:localhost 2>&1
            """)
        let config = """
            {"pebble": {"listenAddress": "127.0.0.1:\(wfe)", "managementListenAddress": "127.0.0.1:\(management)",
              "certificate": "\(workDirectory)/listener.pem", "privateKey": "\(workDirectory)/listener.key",
              "httpPort": 80, "tlsPort": 443, "ocspResponderURL": "", "externalAccountBindingRequired": \(!macKeys.isEmpty),
              "externalAccountMACKeys": {\(macKeys.map { "\"\($0.key)\": \"\($0.value)\"" }.joined(separator: ", "))}}}
            """
        try config.write(toFile: workDirectory + "/pebble.json", atomically: true, encoding: .utf8)
        processes.append(try Self.start(["/usr/bin/pebble-challtestsrv", "-defaultIPv4", defaultAddress, "-defaultIPv6", "",
                                         "-dns01", "127.0.0.1:\(dns)", "-http01", "", "-https01", "", "-tlsalpn01", "",
                                         "-management", "127.0.0.1:\(challManagement)"], log: workDirectory + "/challtestsrv.log", environment: [:]))
        var env = ["PEBBLE_VA_NOSLEEP": "1", "PEBBLE_AUTHZREUSE": "0"]
        env.merge(environment) { $1 }
        processes.append(try Self.start(["/usr/bin/pebble", "-config", workDirectory + "/pebble.json", "-dnsserver", "127.0.0.1:\(dns)"],
                                        log: workDirectory + "/pebble.log", environment: env))
        try waitUntilServing()
    }

    deinit { stop() }

    func stop() {
        processes.forEach(Self.kill)
        processes = []
    }

    /// SIGKILL to the command and its `timeout` wrapper: children of a Swift test process may start with
    /// SIGTERM blocked, so a plain terminate() can leave them running (and holding the test's pipes).
    static func kill(_ process: Process) {
        guard process.isRunning else { return }
        // `timeout` leads a process group of its own with the command in it: the group goes at once.
        _ = Glibc.kill(-process.processIdentifier, SIGKILL)
    }

    /// Process groups still running when the test process exits (the shared pebble): killed then.
    private static let leftovers = Mutex<[Int32]>([])
    /// Work directories (certificates, logs) removed at exit too.
    private static let directories = Mutex<[String]>([])
    private static let killAtExit: Void = {
        atexit {
            PebbleCA.leftovers.withLock { $0.forEach { _ = Glibc.kill(-$0, SIGKILL) } }
            PebbleCA.directories.withLock { $0.forEach { try? FileManager.default.removeItem(atPath: $0) } }
        }
    }()

    /// pebble's root CA (PEM), which signs the certificates it issues (changes with every pebble start).
    func rootPEM() throws -> String { try Self.shell("curl -fsS --cacert \(listenerCAPath) \(managementURL)/roots/0") }

    /// Points `name` at `address` in challtestsrv's DNS (instead of the default address).
    func pointName(_ name: String, to address: String) throws {
        try Self.shell(#"curl -fsS -X POST -d '{"host":"\#(name).","addresses":["\#(address)"]}' \#(challengeServerURL)/add-a"#)
    }

    func clearName(_ name: String) throws {
        try Self.shell(#"curl -fsS -X POST -d '{"host":"\#(name)."}' \#(challengeServerURL)/clear-a"#)
    }

    func log() -> String { (try? String(contentsOfFile: workDirectory + "/pebble.log", encoding: .utf8)) ?? "" }

    /// The POSTs pebble has served so far (it logs every request as "METHOD PATH -> calling handler()"):
    /// every ACME request that can change something is a POST, so check mode must add none.
    func posts() -> Int { log().split(separator: "\n").filter { $0.contains(" POST /") }.count }

    private func waitUntilServing() throws {
        for _ in 0..<100 {
            if (try? Self.shell("curl -fsS -o /dev/null --cacert \(listenerCAPath) \(directory)")) != nil { return }
            Thread.sleep(forTimeInterval: 0.1)
        }
        throw Failure("pebble did not serve \(directory) within 10 s:\n\(log())")
    }

    /// Starts `command` with its output in `log`, killed (SIGKILL, which no mask blocks) after 15 minutes at most.
    static func start(_ command: [String], log: String, environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["-s", "KILL", "900"] + command
        process.standardInput = FileHandle.nullDevice
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        _ = killAtExit
        leftovers.withLock { $0.append(process.processIdentifier) }
        return process
    }

    @discardableResult
    static func shell(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("`\(script)` exited \(process.terminationStatus): \(String(decoding: errors, as: UTF8.self))\(String(decoding: data, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A TCP port nobody listens on now (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
