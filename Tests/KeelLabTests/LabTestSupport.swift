import Foundation
@testable import KeelLab

/// How the tests reach hosts from outside: the system ssh, strict about host keys, never asking anything.
enum StrictSSH {
    static func arguments(_ lab: Lab, _ host: LabHost, _ command: String) -> [String] {
        ["ssh", "-i", lab.clientKeyPath, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", "UserKnownHostsFile=\(lab.knownHostsPath)", "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "StrictHostKeyChecking=yes", "-o", "ConnectTimeout=10",
         "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=2", "-o", "LogLevel=ERROR",
         "root@\(host.address)", command]
    }

    static func run(_ lab: Lab, _ host: LabHost, _ command: String) throws -> Subprocess.Result {
        try Subprocess.run(arguments(lab, host, command))
    }

    /// Runs `command` on every host at once (one ssh process each); returns each host's trimmed stdout,
    /// or `exit N` when ssh failed.
    static func runEverywhere(_ lab: Lab, _ hosts: [LabHost], _ command: String) throws -> [String: String] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("keel-lab-test-\(UUID())").path
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let script = hosts.map { host in
            let ssh = arguments(lab, host, command).map(shellQuote).joined(separator: " ")
            return "( \(ssh) >\(scratch)/\(host.name) 2>&1 || echo \"exit $?\" >\(scratch)/\(host.name) ) &"
        }.joined(separator: "\n") + "\nwait\n"
        _ = try Subprocess.run(["/bin/sh", "-c", script])
        var answers: [String: String] = [:]
        for host in hosts {
            let text = (try? String(contentsOfFile: "\(scratch)/\(host.name)", encoding: .utf8)) ?? ""
            answers[host.name] = text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return answers
    }
}

func isProcessAlive(_ pid: Int32) -> Bool {
    RecordedProcess.current(pid)?.isAlive ?? false
}

/// True when `ip netns list` shows the host's namespace (`keel-<slot>-<name>`).
func hasNamespace(_ name: String) throws -> Bool {
    try Subprocess.run(["ip", "netns", "list"]).stdout.split(separator: "\n").contains { line in
        let namespace = line.split(separator: " ").first ?? ""
        return namespace.hasPrefix("keel-") && namespace.hasSuffix("-\(name)")
            && namespace.dropFirst(5).dropLast(name.count + 1).allSatisfy(\.isNumber)
    }
}

/// Seconds `body` took, printed so test logs carry the lab's timings.
func timed<T>(_ label: String, _ body: () throws -> T) rethrows -> T {
    let start = Date()
    let value = try body()
    print(String(format: "[lab timing] %@: %.2f s", label, Date().timeIntervalSince(start)))
    return value
}
