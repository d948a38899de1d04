import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keel's ControlPersist: SSH logins kept in connection masters (background `keel connection-master`
/// processes) that later runs reuse, so a run pays no login while a master lives. Off by default: Keel's
/// login is one per host and run, cheap next to Ansible's per-task ones. Turned on with
/// `--control-persist SECONDS`, KEEL_CONTROL_PERSIST, or ControlPersist= in ansible.cfg's ssh_args.
public struct ConnectionPersistence: Sendable, Equatable {
    /// How long a master stays without any client before it exits; nil: until stopped or its session ends
    /// (ssh's ControlPersist=yes).
    public var idleSeconds: Double?
    /// The keel binary to start masters with.
    public var executable: String
    /// Where the sockets are (a per-user directory of mode 0700).
    public var directory: String

    public init(idleSeconds: Double?, executable: String = ConnectionPersistence.currentExecutable,
                directory: String = ConnectionPersistence.defaultDirectory) {
        self.idleSeconds = idleSeconds
        self.executable = executable
        self.directory = directory
    }

    /// The running program (the keel binary when keel runs).
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// KEEL_CONTROL_DIR, else $XDG_RUNTIME_DIR/keel/cp, else ~/.cache/keel/cp (ssh's ControlPath lives in
    /// such a place too: private to the user, short enough for a socket name).
    public static var defaultDirectory: String {
        let environment = ProcessInfo.processInfo.environment
        if let directory = environment["KEEL_CONTROL_DIR"], !directory.isEmpty { return directory }
        if let runtime = environment["XDG_RUNTIME_DIR"], !runtime.isEmpty, FileManager.default.fileExists(atPath: runtime) {
            return runtime + "/keel/cp"
        }
        return NSString(string: "~/.cache/keel/cp").expandingTildeInPath
    }

    /// ControlPersist's values: `yes` (no idle limit), `no` (off: nil), seconds, or ssh's time format
    /// (`60s`, `10m`, `1h30m`). Throws on anything else: the caller names the setting.
    public static func idleTime(sshValue text: String) -> IdleTime? {
        let value = text.trimmingCharacters(in: .whitespaces).lowercased()
        if ["yes", "true"].contains(value) { return .unlimited }
        if ["no", "false"].contains(value) { return .off }
        guard let seconds = sshSeconds(value) else { return nil }
        // ssh: ControlPersist=0 keeps the master until stopped, as `yes` does.
        return seconds == 0 ? .unlimited : .seconds(seconds)
    }

    public enum IdleTime: Sendable, Equatable { case off, unlimited, seconds(Double) }

    /// ssh's TIME FORMATS: a number of seconds, or numbers each followed by s, m, h, d or w.
    static func sshSeconds(_ text: String) -> Double? {
        if let plain = Double(text), plain >= 0 { return plain }
        var total = 0.0, digits = ""
        for c in text {
            if c.isNumber { digits.append(c); continue }
            guard let number = Double(digits) else { return nil }
            let unit: Double
            switch c {
            case "s": unit = 1
            case "m": unit = 60
            case "h": unit = 3600
            case "d": unit = 86400
            case "w": unit = 604_800
            default: return nil
            }
            total += number * unit
            digits = ""
        }
        if !digits.isEmpty { guard let rest = Double(digits) else { return nil }; total += rest }
        return text.isEmpty ? nil : total
    }
}

/// The socket directory: created 0700, and refused unless it is a real directory owned by the user and
/// closed to everyone else (a socket there answers with a logged-in session to the hosts).
enum ControlDirectory {
    static func prepare(_ path: String) throws -> String {
        var built = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            built += "/" + part
            if mkdir(built, 0o700) != 0 && errno != EEXIST {
                throw ControlDirectoryError.unusable(path, "cannot create \(built): \(String(cString: strerror(errno)))")
            }
        }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            throw ControlDirectoryError.unusable(path, String(cString: strerror(errno)))
        }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw ControlDirectoryError.unusable(path, "it is not a directory") }
        guard info.st_uid == getuid() else {
            throw ControlDirectoryError.unusable(path, "it is owned by uid \(info.st_uid), not by you (uid \(getuid()))")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ControlDirectoryError.unusable(path, "its mode is \(String(info.st_mode & 0o777, radix: 8)); expected 700 (no access for group or others)")
        }
        return path
    }
}

public enum ControlDirectoryError: Error, CustomStringConvertible {
    case unusable(String, String)
    public var description: String {
        switch self {
        case let .unusable(path, reason): return "connection persistence: the socket directory \(path) cannot be used: \(reason)"
        }
    }
}
