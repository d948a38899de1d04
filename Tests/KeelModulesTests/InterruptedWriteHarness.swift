import Foundation
import KeelBase
import KeelLab
import KeelTestSupport

/// Runs the built `keel` binary as a child writing one file to a lab host, and cuts the run short while the
/// file is on its way: SIGKILL to the controller, or SIGKILL to the host's sshd session process (the
/// connection is lost). The transfer's progress is watched on the host's own file system (through
/// /proc/<its init>/root, not over SSH): the temporary file Keel writes next to the destination grows as
/// the bytes arrive, so "a third of the way" is a point in the transfer, not a guess in time.
struct InterruptedWriteHarness {
    enum Cut: String, CustomStringConvertible {
        case controller = "the controller killed"
        case sshd = "the host's sshd session killed"
        var description: String { rawValue }
    }

    /// What one interrupted run left on the host.
    struct Outcome {
        var cut: Cut
        /// The fraction of the content the temporary file held when the cut was made (nil: the run ended first).
        var cutAt: Double?
        /// "old", "new", or what else the destination was (its size).
        var destination: String
        /// Temporary files still next to the destination after the grace period.
        var leftovers: [String]
        var keelOutput: String
    }

    let lab = LabFixture.shared.lab
    let host: LabHost
    /// The directory on the host the file is written to (absolute, inside the host).
    let remoteDirectory: String
    let destinationName: String
    /// The controller-side directory holding the playbook, its files and the inventory.
    let controller: String
    let hostRoot: String
    let initProcess: pid_t

    static var keel: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
            + "/.build/debug/keel"
    }

    init(host: LabHost, name: String, playbook: String, files: [String: Data]) throws {
        guard FileManager.default.isExecutableFile(atPath: Self.keel) else { throw KeelError("build keel first: \(Self.keel) is missing") }
        self.host = host
        remoteDirectory = "/root/keel-interrupted-\(name)"
        destinationName = "target"
        controller = FileManager.default.temporaryDirectory.appendingPathComponent("keel-interrupted-\(name)-\(UUID().uuidString)").path
        guard let initProcess = try LabFixture.shared.lab.processes(host.name).last else { throw KeelError("\(host.name) is not running") }
        self.initProcess = initProcess
        hostRoot = "/proc/\(initProcess)/root"
        for (path, data) in files {
            let full = controller + "/" + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: full))
        }
        try playbook.replacingOccurrences(of: "DEST", with: remoteDirectory + "/" + destinationName)
            .write(toFile: controller + "/site.yml", atomically: true, encoding: .utf8)
        try LabInventory.ini([host], lab: lab).write(toFile: controller + "/inventory.ini", atomically: true, encoding: .utf8)
        let made = try lab.exec(host.name, "rm -rf \(remoteDirectory) && mkdir -p \(remoteDirectory)")
        guard made.status == 0 else { throw KeelError("cannot prepare \(remoteDirectory): \(made.stderr)") }
    }

    func removeController() { try? FileManager.default.removeItem(atPath: controller) }

    var localDirectory: String { hostRoot + remoteDirectory }

    /// The temporary files in the destination's directory with their sizes.
    func temporaryFiles() -> [(name: String, size: Int)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: localDirectory)) ?? []
        return names.filter { $0.hasPrefix(".keel-tmp.") }.map { name in
            let size = (try? FileManager.default.attributesOfItem(atPath: localDirectory + "/" + name)[.size] as? Int) ?? 0
            return (name, size ?? 0)
        }
    }

    /// The host's sshd session processes (children of its listener, the child of its init), as this
    /// machine numbers them: killed from here, the cut lands within a millisecond of the decision.
    func sshdSessions() -> [pid_t] {
        func children(_ pid: pid_t) -> [pid_t] {
            let text = (try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8)) ?? ""
            return text.split(separator: " ").compactMap { pid_t($0) }
        }
        return children(initProcess).flatMap(children)
    }

    func destination() -> Data? { FileManager.default.contents(atPath: localDirectory + "/" + destinationName) }

    func putOld(_ old: Data) throws {
        _ = try lab.exec(host.name, "rm -f \(remoteDirectory)/.keel-tmp.*")
        try old.write(to: URL(fileURLWithPath: localDirectory + "/" + destinationName))
    }

    /// One run of `keel play`, cut when the temporary file holds `fraction` of `new`'s bytes; then waits
    /// (up to 10 s, the host cleans up on its own) for the temporary file to go, and reports what is left.
    /// The watching runs on a thread of its own: on the shared pool, suites running alongside could hold
    /// it for longer than a whole transfer takes, and the cut would come too late.
    func run(cut: Cut, at fraction: Double, old: Data, new: Data) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try runBlocking(cut: cut, at: fraction, old: old, new: new) })
            }
        }
    }

    private func runBlocking(cut: Cut, at fraction: Double, old: Data, new: Data) throws -> Outcome {
        try putOld(old)
        let log = controller + "/keel-\(UUID().uuidString).log"
        FileManager.default.createFile(atPath: log, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.keel)
        process.arguments = ["play", "-i", controller + "/inventory.ini", controller + "/site.yml"]
        process.currentDirectoryURL = URL(fileURLWithPath: controller)
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardError = process.standardOutput
        try process.run()
        let threshold = Int(Double(new.count) * fraction)
        var cutAt: Double?
        let deadline = Date().addingTimeInterval(120)
        watch: while process.isRunning && Date() < deadline {
            if let growing = temporaryFiles().first, growing.size >= threshold {
                switch cut {
                case .controller: kill(process.processIdentifier, SIGKILL)
                case .sshd: for session in sshdSessions() { kill(session, SIGKILL) }
                }
                cutAt = Double(growing.size) / Double(max(new.count, 1))
                break watch
            }
            usleep(1000)
        }
        if process.isRunning && cutAt == nil { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        // The host finds out the connection is gone and cleans up a moment later.
        let settle = Date().addingTimeInterval(10)
        while !temporaryFiles().isEmpty && Date() < settle { usleep(50_000) }
        let left = destination()
        let described = left == old ? "old" : left == new ? "new" : left.map { "a \($0.count)-byte file that is neither" } ?? "missing"
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Outcome(cut: cut, cutAt: cutAt, destination: described, leftovers: temporaryFiles().map(\.name), keelOutput: output)
    }
}
