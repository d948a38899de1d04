import Foundation
import KeelBase
import KeelLab

/// A real image registry for the podman tests: Debian's docker-registry on this machine (the controller,
/// 198.18.0.1 on the lab bridge), with TLS from a test CA made here with openssl and htpasswd (bcrypt)
/// authentication. Lab hosts trust the CA through /etc/containers/certs.d/HOST:PORT/ca.crt, so pull, push
/// and login go through the same checks as against a production registry.
///
/// One registry per test process, started on first use and ended by a watchdog when the process ends; a
/// registry left by an earlier run (its PID in the state directory) is stopped first.
actor PodmanTestRegistry {
    static let shared = PodmanTestRegistry()

    static let host = "198.18.0.1"
    static let port = 5043
    static var address: String { "\(host):\(port)" }
    static let user = "deploy"
    static let password = "s3cret-lab-pass"

    /// Per lab directory, so parallel sessions with different labs do not share files.
    let directory: String = (ProcessInfo.processInfo.environment["KEEL_LAB_DIR"] ?? "/var/lib/keel/lab") + "-podman-registry"
    private var started = false
    /// The watchdog running the registry, a child of the test process that is never waited for (waiting on
    /// a shell whose background job outlives it never ends).
    private var process: Process?

    var caCertificate: String { directory + "/ca.crt" }

    /// Starts the registry (once) and makes each host trust its CA.
    func start(trustedBy hosts: [LabHost], lab: Lab) throws {
        if !started {
            try Self.require(["docker-registry", "htpasswd", "openssl"])
            try stopPrevious()
            // An empty registry per test process: a push must find nothing there from an earlier run.
            try? FileManager.default.removeItem(atPath: directory + "/data")
            try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
            try makeCertificates()
            try sh("htpasswd -Bbc \(directory)/htpasswd \(Self.user) \(Self.password) 2>/dev/null")
            try config.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
            try launch()
            try waitUntilServing()
            started = true
        }
        let ca = try String(contentsOfFile: caCertificate, encoding: .utf8)
        for host in hosts {
            let dir = "/etc/containers/certs.d/\(Self.address)"
            let result = try lab.exec(host.name, "mkdir -p '\(dir)' && cat > '\(dir)/ca.crt' <<'KEEL_CA'\n\(ca)KEEL_CA\n")
            guard result.status == 0 else { throw KeelError("cannot install the test CA on \(host.name): \(result.stderr)") }
        }
    }

    private var config: String {
        """
        version: 0.1
        log:
          level: warn
        storage:
          filesystem:
            rootdirectory: \(directory)/data
          delete:
            enabled: true
        http:
          addr: \(Self.address)
          tls:
            certificate: \(directory)/server.crt
            key: \(directory)/server.key
        auth:
          htpasswd:
            realm: keel-lab
            path: \(directory)/htpasswd

        """
    }

    private func makeCertificates() throws {
        guard !FileManager.default.fileExists(atPath: directory + "/server.crt") else { return }
        try sh("""
            cd \(directory)
            openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj '/CN=Keel test CA' -keyout ca.key -out ca.crt 2>/dev/null
            openssl req -newkey rsa:2048 -nodes -subj '/CN=\(Self.host)' -keyout server.key -out server.csr 2>/dev/null
            printf 'subjectAltName=IP:\(Self.host)\\nbasicConstraints=CA:FALSE\\nextendedKeyUsage=serverAuth\\n' > server.ext
            openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 -extfile server.ext -out server.crt 2>/dev/null
            """)
    }

    private func launch() throws {
        let log = directory + "/registry.log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        let process = Process()
        // A watchdog shell: the registry ends within a second of the test process (no registry left behind
        // on the CI machine); SIGKILL because a shell started from a test runner may have SIGTERM blocked.
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", """
            docker-registry serve \(directory)/config.yml &
            r=$!
            echo $r > \(directory)/registry.pid
            while kill -0 \(getpid()) 2>/dev/null && kill -0 $r 2>/dev/null; do sleep 1; done
            kill -9 $r 2>/dev/null
            """]
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
    }

    private func stopPrevious() throws {
        let pidFile = directory + "/registry.pid"
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) else { return }
        // Only a process that is still our registry (docker-registry with our config).
        if let cmdline = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
           cmdline.contains("docker-registry"), cmdline.contains(directory) {
            kill(pid, SIGKILL)
            Thread.sleep(forTimeInterval: 0.5)
        }
    }

    private func waitUntilServing() throws {
        for _ in 0..<100 {
            if (try? sh("openssl s_client -connect \(Self.address) -CAfile \(caCertificate) -verify_return_error </dev/null >/dev/null 2>&1")) != nil { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        let log = (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? ""
        throw KeelError("the test registry did not start on \(Self.address): \(log.suffix(1000))")
    }

    static func require(_ tools: [String]) throws {
        for tool in tools where !["/usr/bin", "/bin", "/usr/sbin"].contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/\(tool)") }) {
            throw KeelError("\(tool) is missing: run scripts/install-deps.sh (docker-registry, apache2-utils, openssl)")
        }
    }

    @discardableResult
    func sh(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let log = directory + "/sh-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        process.waitUntilExit()
        try handle.close()
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        guard process.terminationStatus == 0 else { throw KeelError("`\(script.prefix(200))` failed: \(output)") }
        return output
    }
}
