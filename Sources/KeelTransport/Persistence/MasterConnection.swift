import Foundation
import KeelBase
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A Connection through a connection master's socket: each command is one request on a socket of its own
/// (so commands of one run can overlap, as on a direct connection), answered with the host's status,
/// stdout and stderr byte for byte. The run's session socket (its hello) stays open until close(): the
/// master counts the run as a client while it lasts.
///
/// A reused master's session is not proven to answer before the run's first command (that would cost a
/// round trip a converged run otherwise does not pay): a read found the session dead is run again on a new
/// master (reads are safe to repeat), and before the first command that is not a read the master is asked
/// to check its session, so a command that may change the host is never sent on a session not known alive.
final class MasterConnection: SessionKeepingConnection, @unchecked Sendable {
    // @unchecked: the mutable state is behind `state`; `replacing` serializes checks and replacements.
    let hostName: String
    let counters: TransportCounters? = TransportCounters()
    private let socketPath: String
    private let target: PersistedTarget
    private let persistence: ConnectionPersistence
    private struct State {
        /// The hello socket of the master in use.
        var session: Int32
        /// Whether this run has seen the master's session answer (its login, a check, any command).
        var proven: Bool
        /// Bumped when a new master replaces a dead one.
        var epoch = 0
        var closed = false
    }
    private let state: Mutex<State>
    private let replacing = NSLock()

    private init(hostName: String, socketPath: String, target: PersistedTarget, persistence: ConnectionPersistence,
                 session: Int32, proven: Bool) {
        self.hostName = hostName
        self.socketPath = socketPath
        self.target = target
        self.persistence = persistence
        state = Mutex(State(session: session, proven: proven))
    }

    /// The master for `target`: the running one (its session proven later, see above), else a new one
    /// started (a stale socket is removed first). Its login's errors are thrown as a direct connection throws them.
    static func connect(_ target: SSHTarget, persistence: ConnectionPersistence) async throws -> any Connection {
        let persisted = PersistedTarget(target)
        let directory = try ControlDirectory.prepare(persistence.directory)
        let socketPath = directory + "/" + persisted.digest + ".sock"
        let (session, answer) = try await BlockingCall.run {
            try MasterConnection.open(socketPath: socketPath, target: persisted, persistence: persistence, lazy: true)
        }
        let connection = MasterConnection(hostName: target.hostName, socketPath: socketPath, target: persisted,
                                          persistence: persistence, session: session, proven: answer.fresh ?? false)
        connection.counters?.record(answer.usage ?? TransportUsage())
        return connection
    }

    /// A master's hello socket and its answer. `lazy`: a running master answers without proving its session.
    private static func open(socketPath: String, target: PersistedTarget, persistence: ConnectionPersistence,
                             lazy: Bool) throws -> (Int32, ControlAnswer) {
        // A master found dead answers so and goes; the next attempt starts a new one.
        for _ in 0..<3 {
            // One run at a time decides whether to start a master, so two runs never race to replace one.
            let lock = try MasterFiles.lock(socket: socketPath)
            var fd: Int32
            switch UnixSocket.connect(socketPath) {
            case .connected(let existing):
                fd = existing
            case .stale, .missing:
                unlink(socketPath)
                do { fd = try startMaster(socketPath: socketPath, target: target, persistence: persistence) }
                catch { Glibc.close(lock); throw error }
            }
            Glibc.close(lock)
            let answer: ControlAnswer?
            // The answer waits for the master's login (or its check of the session), both bounded by the
            // target's timeouts; a wedged master must not hang the run beyond them.
            setReceiveTimeout(fd, seconds: target.connectTimeout * Double(target.jumps.count + 1) + target.handshakeTimeout + 30)
            do {
                var hello = ControlRequest(kind: .hello)
                hello.lazy = lazy
                try ControlFrames.write(fd, json: hello)
                answer = try ControlFrames.read(fd, json: ControlAnswer.self)
            } catch {
                answer = nil
            }
            setReceiveTimeout(fd, seconds: 0)
            guard let answer, !answer.dead else {
                // The master ended between our connect and its answer, or its session is gone.
                Glibc.close(fd)
                continue
            }
            if let error = answer.error { Glibc.close(fd); throw error }
            if let failure = answer.failure { Glibc.close(fd); throw ControlSocketError.io(failure) }
            return (fd, answer)
        }
        throw TransportError.connectionLost(host: target.hostName, detail: "no connection master could be started at \(socketPath) (see its .log file)")
    }

    /// 0: no timeout.
    private static func setReceiveTimeout(_ fd: Int32, seconds: Double) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Starts `keel connection-master` detached (its own session, stdio on /dev/null) and waits for its socket.
    private static func startMaster(socketPath: String, target: PersistedTarget, persistence: ConnectionPersistence) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        CleanSpawn.prepare(&actions, &attributes)
        var flags: Int16 = 0
        posix_spawnattr_getflags(&attributes, &flags)
        // POSIX_SPAWN_SETSID: no terminal, no process group of the run, so Ctrl-C in the run does not reach it.
        posix_spawnattr_setflags(&attributes, flags | Int16(0x80))
        let arguments = [persistence.executable, "connection-master", "--socket", socketPath,
                         "--persist", persistence.idleSeconds.map { String($0) } ?? "none"]
        var environment = ProcessInfo.processInfo.environment
        environment["KEEL_MASTER_TARGET"] = String(decoding: target.json, as: UTF8.self)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, persistence.executable, &actions, &attributes, argv, envp)
        guard rc == 0 else {
            throw ControlSocketError.io("cannot start \(persistence.executable) connection-master: \(String(cString: strerror(rc)))")
        }
        // The master binds its socket before it logs in: this wait is for a process start, not a login.
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if case .connected(let fd) = UnixSocket.connect(socketPath) {
                reapLater(pid)
                return fd
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                throw ControlSocketError.io("the connection master exited before listening (status \(status)); see \(MasterFiles.logPath(socket: socketPath))")
            }
            usleep(5_000)
        }
        throw ControlSocketError.io("the connection master did not listen on \(socketPath) within 30 s")
    }

    /// setsid does not change the parent: the run reaps the master if it ends first, so it leaves no zombie.
    private static func reapLater(_ pid: pid_t) {
        let reaper = Thread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        }
        reaper.start()
    }

    func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        try Task.checkCancellation()
        let reading = HostReads.readOnly
        if !reading { try await proveSession() }
        let (epoch, proven) = try current()
        let answer: ControlAnswer, stdout: Data, stderr: Data
        do {
            (answer, stdout, stderr) = try await send(script, stdin: stdin, become: become)
        } catch let gone as MasterGone {
            // The master ended (its session died) before answering: as a dead answer.
            guard reading, !proven else { throw TransportError.connectionLost(host: hostName, detail: gone.detail) }
            try await replace(after: epoch)
            return try await run(script, stdin: stdin, become: become)
        }
        if answer.dead {
            // Nothing of the command was answered. A read on a session this run never saw answer (a reused
            // master whose host restarted since) runs again on a new master; anything else is the loss a
            // direct connection reports.
            guard reading, !proven else {
                throw answer.error ?? TransportError.connectionLost(host: hostName, detail: answer.failure ?? "the connection master's session ended")
            }
            try await replace(after: epoch)
            return try await run(script, stdin: stdin, become: become)
        }
        markProven(epoch)
        if answer.cancelled { throw CancellationError() }
        if let error = answer.error { throw error }
        if let failure = answer.failure { throw TransportError.channelFailed(host: hostName, detail: failure) }
        return CommandResult(status: answer.status ?? -1, stdout: stdout, stderr: stderr, signal: answer.signal)
    }

    private func current() throws -> (epoch: Int, proven: Bool) {
        let (epoch, proven, closed) = state.withLock { ($0.epoch, $0.proven, $0.closed) }
        guard !closed else { throw TransportError.closed(host: hostName) }
        return (epoch, proven)
    }

    private func markProven(_ epoch: Int) {
        state.withLock { if $0.epoch == epoch { $0.proven = true } }
    }

    /// One command on a socket of its own; the answer's usage is counted.
    private func send(_ script: String, stdin: Data?, become: Become?) async throws -> (ControlAnswer, Data, Data) {
        guard case .connected(let fd) = UnixSocket.connect(socketPath) else {
            throw MasterGone(detail: "the connection master (\(socketPath)) is gone")
        }
        defer { Glibc.close(fd) }
        let request = ControlRequest(script: script, stdin: stdin, become: become)
        // Cancelling closes our sending side: the master stops the command on the host, then answers.
        let reply = try await withTaskCancellationHandler {
            try await BlockingCall.run { () throws -> (ControlAnswer, Data, Data) in
                do {
                    try ControlFrames.write(fd, json: request)
                    try ControlFrames.write(fd, stdin ?? Data())
                    guard let answer = try ControlFrames.read(fd, json: ControlAnswer.self) else {
                        throw ControlSocketError.io("no answer")
                    }
                    let out = try ControlFrames.read(fd) ?? Data()
                    let err = try ControlFrames.read(fd) ?? Data()
                    return (answer, out, err)
                } catch let error as ControlSocketError {
                    throw MasterGone(detail: "the connection master ended: \(error)")
                }
            }
        } onCancel: {
            shutdown(fd, Int32(SHUT_WR))
        }
        if let usage = reply.0.usage { counters?.record(usage) }
        return reply
    }

    /// The master could not be reached, or ended before its answer: nothing of the command was answered.
    private struct MasterGone: Error {
        var detail: String
    }

    /// Before a command that may change the host: the master proves its session answers (one round trip),
    /// once per run; a dead one is replaced by a new master (a new login, proven by itself).
    private func proveSession() async throws {
        guard try !current().proven else { return }
        try await BlockingCall.run { [self] in
            replacing.lock()
            defer { replacing.unlock() }
            let epoch = try current().epoch
            guard try !current().proven else { return }
            if case .connected(let fd) = UnixSocket.connect(socketPath) {
                defer { Glibc.close(fd) }
                MasterConnection.setReceiveTimeout(fd, seconds: target.connectTimeout + 30)
                let answer = (try? ControlFrames.write(fd, json: ControlRequest(kind: .check))).flatMap { _ in
                    (try? ControlFrames.read(fd, json: ControlAnswer.self)) ?? nil
                }
                if let answer, !answer.dead, answer.error == nil, answer.failure == nil {
                    counters?.record(answer.usage ?? TransportUsage())
                    markProven(epoch)
                    return
                }
            }
            try replaceLocked(after: epoch)
        }
    }

    /// After a dead answer at `epoch`: a new master, unless another command of this run already got one.
    private func replace(after epoch: Int) async throws {
        try await BlockingCall.run { [self] in
            replacing.lock()
            defer { replacing.unlock() }
            try replaceLocked(after: epoch)
        }
    }

    /// With `replacing` held. The new hello is not lazy: its session is proven (a new login, usually).
    private func replaceLocked(after epoch: Int) throws {
        guard try current().epoch == epoch else { return }
        let (session, answer) = try MasterConnection.open(socketPath: socketPath, target: target, persistence: persistence, lazy: false)
        counters?.record(answer.usage ?? TransportUsage())
        let old: Int32? = state.withLock { state in
            guard !state.closed else { return nil }
            defer {
                state.session = session
                state.proven = true
                state.epoch += 1
            }
            return state.session
        }
        guard let old else {
            Glibc.close(session)
            throw TransportError.closed(host: hostName)
        }
        Glibc.close(old)
    }

    /// Ends the master (reset_connection): runs using it at the moment lose their session, as with ssh -O exit.
    func endKeptSession() async {
        _ = try? await BlockingCall.run { [socketPath] in ConnectionMasters.stop(socket: socketPath) }
    }

    func close() async {
        let session: Int32? = state.withLock { state in
            defer { state.closed = true }
            return state.closed ? nil : state.session
        }
        if let session { Glibc.close(session) }
    }

    deinit {
        let session: Int32? = state.withLock { $0.closed ? nil : $0.session }
        if let session { Glibc.close(session) }
    }
}
