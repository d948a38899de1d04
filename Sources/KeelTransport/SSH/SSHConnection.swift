import Foundation

/// An SSH connection to one host, kept open for the whole run. Commands run on channels of the one
/// authenticated session; all libssh2 work happens on the session's own thread (`SessionThread`).
public final class SSHConnection: Connection, @unchecked Sendable {
    // @unchecked: `core` and `tunnels` are only touched on `thread`; the rest is immutable or an actor.
    public let hostName: String
    public let target: SSHTarget
    private let thread: SessionThread
    let core: SSHSessionCore
    private let jump: SSHConnection?
    private let privilege: PrivilegeEscalation
    private var tunnels: [SSHTunnel] = []
    /// Created on first use, on the session thread.
    private var shellRunner: SSHShellRunner?
    public let counters: TransportCounters? = TransportCounters()

    private init(target: SSHTarget, thread: SessionThread, core: SSHSessionCore, jump: SSHConnection?) {
        self.hostName = target.hostName
        self.target = target
        self.thread = thread
        self.core = core
        self.jump = jump
        self.privilege = PrivilegeEscalation(hostName: target.hostName, loginUser: target.user, password: target.becomePassword)
    }

    /// Connects, verifies the host key and authenticates; through `target.jumps` when there are any.
    public static func connect(_ target: SSHTarget) async throws -> SSHConnection {
        var jump: SSHConnection?
        for hop in target.jumps {
            jump = try await connectDirect(hop, through: jump)
        }
        do {
            let connection = try await connectDirect(target, through: jump)
            var hop = connection.jump
            var waits = connection.core.loginWaits
            while let current = hop { waits += current.core.loginWaits; hop = current.jump }
            connection.counters?.recordLogin(roundTrips: waits)
            return connection
        } catch {
            await jump?.close()
            throw error
        }
    }

    private static func connectDirect(_ target: SSHTarget, through jump: SSHConnection?) async throws -> SSHConnection {
        var tunnelSocket: Int32?
        if let jump {
            tunnelSocket = try await jump.openTunnel(to: target.address, port: target.port)
        }
        let thread = SessionThread(name: target.hostName)
        let core = SSHSessionCore(target: target)
        let connection = SSHConnection(target: target, thread: thread, core: core, jump: jump)
        let socket = tunnelSocket
        do {
            try await thread.perform { [core] in
                try core.connect(tunnelSocket: socket)
                if target.keepaliveInterval > 0 {
                    thread.setIdleHandler(every: target.keepaliveInterval) { core.sendKeepalive() }
                }
            }
        } catch {
            _ = try? await thread.perform { [core] in core.teardown() }
            thread.stop()
            throw error
        }
        return connection
    }

    /// A byte stream to `host:port` as seen from this host (for the next ProxyJump hop).
    func openTunnel(to host: String, port: Int) async throws -> Int32 {
        try await thread.perform { [self] in
            let (tunnel, socket) = try SSHTunnel.open(on: core, toHost: host, port: port)
            tunnels.append(tunnel)
            var id = 0
            id = thread.addTicker { [weak tunnel, thread] in
                guard let tunnel, !tunnel.finished else { thread.removeTicker(id); return [] }
                return tunnel.step()
            }
            return socket
        }
    }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        if let become {
            let (command, input) = try await privilege.wrap(script, stdin: stdin, become: become, using: self)
            return try await execute(command, stdin: input)
        }
        return try await execute(script, stdin: stdin)
    }

    /// Runs a POSIX sh script: through the session's persistent shell, or on an exec channel of its own
    /// when the input is too big to inline. Cancelling the calling task stops the command on the host
    /// (its process group gets TERM, then KILL) and throws CancellationError; the connection stays usable.
    func execute(_ script: String, stdin: Data?) async throws -> CommandResult {
        try _Concurrency.Task.checkCancellation()
        let result = try await CommandCancellation.run { cancellation in
            try await thread.perform { [self] in
                if (stdin?.count ?? 0) > SSHShellRunner.maxInlineInput {
                    return try SSHCommandRunner(core: core).run("/bin/sh -c " + ShellQuote.quote(script), stdin: stdin,
                                                                cancellation: cancellation)
                }
                let shell = shellRunner ?? SSHShellRunner(core: core)
                shellRunner = shell
                return try shell.run(script, stdin: stdin, cancellation: cancellation)
            }
        }
        counters?.recordExchange(sent: script.utf8.count + (stdin?.count ?? 0), received: result.stdout.count + result.stderr.count)
        TransportCounters.request?.recordExchange(sent: script.utf8.count + (stdin?.count ?? 0), received: result.stdout.count + result.stderr.count)
        return result
    }

    /// A connection dropped without close() still ends its session, on its own thread: every object that
    /// talks to libssh2 is handed to that last job, so none is torn down from whatever thread runs deinit.
    deinit {
        let (core, shell, tunnels) = (core, shellRunner, tunnels)
        thread.stop(after: {
            shell?.discard()
            tunnels.forEach { $0.finish() }
            core.teardown()
        })
    }

    /// Whether the session broke (a failed keepalive or command): a connection master ends with it.
    var isLost: Bool {
        get async { (try? await thread.perform { [core] in core.lostReason != nil || core.session == nil }) ?? true }
    }

    public func close() async {
        _ = try? await thread.perform { [self] in
            tunnels.forEach { $0.finish() }
            tunnels.removeAll()
            shellRunner?.discard()
            shellRunner = nil
            core.teardown()
        }
        thread.stop()
        await jump?.close()
    }
}

extension SSHConnection: RawCommandRunner {
    func runRaw(_ command: String, stdin: Data?) async throws -> CommandResult {
        try await execute(command, stdin: stdin)
    }
}
