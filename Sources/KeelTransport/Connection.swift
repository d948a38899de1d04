import Foundation

/// What a command left behind on the host. stdout and stderr are kept apart and as raw bytes (binary-safe).
public struct CommandResult: Sendable, Equatable {
    public var status: Int32
    public var stdout: Data
    public var stderr: Data
    /// The signal name when the remote process was killed by one ("KILL"), nil otherwise.
    public var signal: String?

    public init(status: Int32, stdout: Data, stderr: Data, signal: String? = nil) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
        self.signal = signal
    }

    public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
}

/// Run a command as another user (Ansible's become): `sudo`, or `su` from a root login (see
/// SwitchUser). sudo's password, when one is needed, is given to the connection once
/// (`ConnectionOptions.becomePassword`) and never put in argv.
public struct Become: Sendable, Equatable, Hashable {
    public var user: String
    public var method: String
    /// become_flags: sudo's options, in place of the default `-H` (the flags Keel needs itself, -n or
    /// -S -k -p, are always added).
    public var flags: String?
    /// become_exe: the program to run instead of `sudo`.
    public var exe: String?

    public init(user: String = "root", method: String = "sudo", flags: String? = nil, exe: String? = nil) {
        self.user = user
        self.method = method
        self.flags = flags
        self.exe = exe
    }
}

/// A way to reach one host: run shell scripts, move files. Implementations: SSH (libssh2) and local.
/// A connection is opened once per host and kept for the whole run.
public protocol Connection: AnyObject, Sendable {
    /// The inventory name of the host, used in every error message.
    var hostName: String { get }

    /// Runs `script` with /bin/sh on the host, feeding `stdin` to it, optionally through become.
    func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult

    /// Closes the connection; later calls fail.
    func close() async

    /// What this connection has cost so far (round trips, commands, bytes); nil for connections that never
    /// reach a host.
    var counters: TransportCounters? { get }
}

/// A connection whose session outlives close() (a connection master's): reset_connection ends that session
/// too, so the next connection logs in anew, as it would without persistence.
public protocol SessionKeepingConnection: Connection {
    func endKeptSession() async
}

extension Connection {
    public var counters: TransportCounters? { nil }

    public func run(_ script: String) async throws -> CommandResult {
        try await run(script, stdin: nil, become: nil)
    }

    public func run(_ script: String, become: Become?) async throws -> CommandResult {
        try await run(script, stdin: nil, become: become)
    }
}
