import Foundation
import KeelBase
#if canImport(Glibc)
import Glibc
#endif

/// Runs the system tools the lab is made of (`ip`, `mount`, `nsenter`, `ssh-keygen`, ...).
///
/// Output goes to temporary files rather than pipes: a tool that leaves a daemon behind holding its
/// stdout would otherwise keep us waiting forever, and two pipes read one after the other can deadlock.
struct Subprocess {
    struct Result: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The sbin directories are not always on a test runner's PATH, but everything we call lives there.
    static let searchPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

    static func run(_ argv: [String], input: String? = nil) throws -> Result {
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("keel-lab-\(UUID().uuidString)").path
        let inPath = scratch + ".in", outPath = scratch + ".out", errPath = scratch + ".err"
        defer {
            for path in [inPath, outPath, errPath] { unlink(path) }
        }
        try Data((input ?? "").utf8).write(to: URL(fileURLWithPath: inPath))

        // posix_spawn and a blocking waitpid rather than Foundation's Process: Process lost track of a
        // shell whose background job called setsid (the shell stayed a zombie, waitUntilExit never returned).
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, inPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)

        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = searchPath
        environment["LC_ALL"] = "C"
        let arguments = ["/usr/bin/env"] + argv
        let cArguments = arguments.map { strdup($0) } + [nil]
        let cEnvironment = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in cArguments { free(pointer) }
            for pointer in cEnvironment { free(pointer) }
        }
        // The child starts clean (no blocked signals, none of our descriptors): a host's tini must reap,
        // and a daemon started here must not hold a caller's pipe open for its whole life.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        CleanSpawn.prepare(&actions, &attributes)
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/usr/bin/env", &actions, &attributes, cArguments, cEnvironment)
        guard spawned == 0 else {
            throw KeelError("could not start \(argv.first ?? "a command"): \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw KeelError("lost track of \(argv.first ?? "a command")") }
        }
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        let stdout = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: exitStatus, stdout: stdout, stderr: stderr)
    }

    /// Runs a command that must succeed; its stderr becomes the error's `found`.
    @discardableResult
    static func check(_ argv: [String], input: String? = nil, doing what: String) throws -> String {
        let result = try run(argv, input: input)
        guard result.status == 0 else {
            throw KeelError("lab: \(what) failed: `\(argv.joined(separator: " "))` exited with \(result.status)",
                            found: result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return result.stdout
    }

    /// Starts a long-lived daemon in its own session, detached from us (so it outlives `keel lab up` and is
    /// not our child), with its output appended to `log`. Returns the daemon's PID.
    static func launchDetached(_ argv: [String], log: String) throws -> Int32 {
        let command = argv.map(shellQuote).joined(separator: " ")
        let script = "setsid \(command) </dev/null >>\(shellQuote(log)) 2>&1 & echo $!"
        let output = try check(["/bin/sh", "-c", script], doing: "starting \(argv.first ?? "a daemon")")
        guard let pid = Int32(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw KeelError("lab: could not read the PID of \(argv.first ?? "a daemon")", found: output)
        }
        return pid
    }
}

/// Single-quotes a word for /bin/sh.
func shellQuote(_ word: String) -> String {
    if !word.isEmpty, word.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }) {
        return word
    }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
