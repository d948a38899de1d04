import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A process the lab started, remembered by PID *and* start time: a PID alone may be reused by an unrelated
/// process after ours died, and `keel lab down` must never kill anything it did not start.
struct RecordedProcess: Codable, Sendable, Equatable {
    var pid: Int32
    /// Field 22 of /proc/PID/stat (clock ticks since boot).
    var startTime: UInt64

    /// The process with this PID as it is now, if there is one.
    static func current(_ pid: Int32) -> RecordedProcess? {
        guard let fields = statFields(pid), fields.count > 19, let start = UInt64(fields[19]) else { return nil }
        return RecordedProcess(pid: pid, startTime: start)
    }

    /// True while the very process we recorded still runs (a zombie counts as gone).
    var isAlive: Bool {
        guard let fields = Self.statFields(pid), fields.count > 19, fields[0] != "Z", fields[0] != "X" else {
            return false
        }
        return UInt64(fields[19]) == startTime
    }

    /// Sends a signal, but only if the PID still names the process we recorded.
    func signal(_ signal: Int32) {
        if isAlive { _ = kill(pid, signal) }
    }

    /// Waits (up to `timeout`) for the process to end by itself.
    func waitForExit(within timeout: TimeInterval) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while isAlive {
            if Date() > deadline { return false }
            usleep(20_000)
        }
        return true
    }

    /// Kills the process and waits (up to `timeout`) until it is gone.
    @discardableResult
    func terminate(timeout: TimeInterval = 5) -> Bool {
        signal(SIGKILL)
        return waitForExit(within: timeout)
    }

    /// The process's direct children.
    var children: [Int32] {
        guard isAlive else { return [] }
        let path = "/proc/\(pid)/task/\(pid)/children"
        let text = readProcFile(path) ?? ""
        return text.split(separator: " ").compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// The first descendant (breadth first, a few levels deep) that is PID 1 of a PID namespace other than
    /// ours: the host's init, whatever launcher (`unshare`, `systemd-nspawn`) sits above it.
    func namespaceInit(depth: Int = 3) -> RecordedProcess? {
        var level = [pid]
        for _ in 0..<depth {
            var next: [Int32] = []
            for parent in level {
                for child in RecordedProcess.current(parent)?.children ?? [] {
                    if Self.isNamespaceInit(child), let found = RecordedProcess.current(child) { return found }
                    next.append(child)
                }
            }
            level = next
        }
        return nil
    }

    /// `NSpid:` in /proc/PID/status lists the PID in each nested namespace; the last one is 1 for an init.
    private static func isNamespaceInit(_ pid: Int32) -> Bool {
        guard let status = readProcFile("/proc/\(pid)/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("NSpid:") }) else { return false }
        let pids = line.dropFirst("NSpid:".count).split(whereSeparator: { $0 == " " || $0 == "\t" })
        return pids.count > 1 && pids.last == "1"
    }

    /// The fields of /proc/PID/stat after the command name (which may itself contain spaces and parens);
    /// index 0 is the state, index 19 the start time.
    private static func statFields(_ pid: Int32) -> [Substring]? {
        guard pid > 0, let stat = readProcFile("/proc/\(pid)/stat"),
              let close = stat.lastIndex(of: ")") else { return nil }
        return stat[stat.index(after: close)...].split(separator: " ")
    }
}
