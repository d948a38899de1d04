import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The process behind a control socket (`keel connection-master`, started detached by the first run that
/// found none): it logs in once with the run's SSHTarget, verifying the host key exactly as a direct
/// connection does, and then answers the Connection protocol for any number of clients, one after another
/// or at once, through its one SSHConnection (which serializes them on its session thread). It exits
/// after `idleSeconds` without a client (ControlPersist), when its session dies, on `stop`, or right
/// after telling the waiting clients why its login failed. Like OpenSSH's ControlMaster, it reuses a
/// verified session until that session ends.
public final class ConnectionMaster: @unchecked Sendable {
    // @unchecked: the mutable state is behind `state`; the rest is set once in init.
    private let target: SSHTarget
    private let summary: String
    private let socketPath: String
    private let idleSeconds: Double?
    private let log: MasterLog
    private var listener: Int32 = -1
    private var socketInode: UInt64?

    private struct State {
        var login: Result<SSHConnection, any Error>?
        var loginReported = false
        var clients = 0
        var idleSince = Date()
        var exitReason: String?
    }
    private let state = Mutex(State())

    /// The entry point of the hidden command; returns the exit status.
    public static func serve(targetJSON: Data, socketPath: String, idleSeconds: Double?) async -> Int32 {
        let log = MasterLog(path: MasterFiles.logPath(socket: socketPath))
        guard let persisted = try? JSONDecoder().decode(PersistedTarget.self, from: targetJSON) else {
            log.write("unreadable target; exiting")
            return 2
        }
        let master = ConnectionMaster(target: persisted.target, summary: persisted.summary, socketPath: socketPath,
                                      idleSeconds: idleSeconds, log: log)
        return await master.run()
    }

    private init(target: SSHTarget, summary: String, socketPath: String, idleSeconds: Double?, log: MasterLog) {
        self.target = target
        self.summary = summary
        self.socketPath = socketPath
        self.idleSeconds = idleSeconds
        self.log = log
    }

    private func run() async -> Int32 {
        do {
            guard let fd = try UnixSocket.listen(socketPath) else {
                log.write("another master already listens on \(socketPath); exiting")
                return 0
            }
            listener = fd
            socketInode = UnixSocket.inode(socketPath)
        } catch {
            log.write("cannot listen: \(error)")
            return 1
        }
        log.write("pid \(getpid()) serving \(summary) (\(target.hostName)) on \(socketPath), idle limit \(idleSeconds.map { "\($0) s" } ?? "none")")
        let acceptor = Thread { [self] in acceptLoop() }
        acceptor.start()
        do {
            let connection = try await SSHConnection.connect(target)
            state.withLock { $0.login = .success(connection) }
            log.write("logged in (\(connection.counters?.current.loginRoundTrips ?? 0) round trips)")
        } catch {
            // New clients must not reach a master that has only this error to give: the socket goes first,
            // then the clients already connected get the error, the same a direct connection would throw.
            removeSocket()
            state.withLock { $0.login = .failure(error) }
            log.write("login failed: \(error)")
            await waitForClients(atMost: 10)
            finish("login failed")
            // Its .log says why the login failed: kept.
            MasterFiles.removeLeftovers(socket: socketPath, keepLog: true)
            return 0
        }
        while true {
            try? await Task.sleep(for: .milliseconds(250))
            let (reason, clients, idleSince, connection) = state.withLock { ($0.exitReason, $0.clients, $0.idleSince, try? $0.login?.get()) }
            if let reason { await end(connection, reason); return 0 }
            if let idleSeconds, clients == 0, Date().timeIntervalSince(idleSince) >= idleSeconds {
                await end(connection, "no client for \(idleSeconds) s")
                return 0
            }
            if let connection, await connection.isLost {
                await end(connection, "the SSH session ended")
                return 0
            }
        }
    }

    private func end(_ connection: SSHConnection?, _ reason: String) async {
        finish(reason)
        await connection?.close()
        log.write("exited: \(reason)")
        MasterFiles.removeLeftovers(socket: socketPath, keepLog: false)
    }

    private func finish(_ reason: String) {
        state.withLock { if $0.exitReason == nil { $0.exitReason = reason } }
        removeSocket()
        if listener >= 0 { close(listener); listener = -1 }
    }

    /// Removes the socket file if it is still ours (a successor may have bound the name since).
    private func removeSocket() {
        if let socketInode, UnixSocket.inode(socketPath) == socketInode { unlink(socketPath) }
        socketInode = nil
    }

    private func waitForClients(atMost seconds: Double) async {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline, state.withLock({ $0.clients }) > 0 { try? await Task.sleep(for: .milliseconds(50)) }
        // Clients that connected before the socket went but were not yet accepted.
        try? await Task.sleep(for: .milliseconds(200))
        while Date() < deadline, state.withLock({ $0.clients }) > 0 { try? await Task.sleep(for: .milliseconds(50)) }
    }

    // MARK: clients

    private func acceptLoop() {
        while state.withLock({ $0.exitReason == nil }) {
            let fd = listener
            guard fd >= 0 else { return }
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 250) > 0 else { continue }
            let client = accept(fd, nil, nil)
            guard client >= 0 else { continue }
            _ = fcntl(client, F_SETFD, FD_CLOEXEC)
            state.withLock { $0.clients += 1 }
            let handler = Thread { [self] in
                let wasRun = serveClient(client)
                close(client)
                state.withLock {
                    $0.clients -= 1
                    // `keel connections` asking for the status does not keep a master alive.
                    if $0.clients == 0 && wasRun { $0.idleSince = Date() }
                }
            }
            handler.start()
        }
    }

    /// Serves one connection; true when it was a run's (hello or command), which restarts the idle time.
    private func serveClient(_ fd: Int32) -> Bool {
        guard let request = try? ControlFrames.read(fd, json: ControlRequest.self) else { return false }
        switch request.kind {
        case .status:
            let (clients, idleSince) = state.withLock { ($0.clients, $0.idleSince) }
            var answer = ControlAnswer()
            answer.target = "\(target.hostName) \(summary)"
            answer.pid = getpid()
            // This status request is itself a client: the others decide idleness.
            answer.idleSeconds = clients > 1 ? 0 : Date().timeIntervalSince(idleSince)
            answer.persistSeconds = idleSeconds
            try? ControlFrames.write(fd, json: answer)
        case .stop:
            state.withLock { if $0.exitReason == nil { $0.exitReason = "stopped by keel connections --stop" } }
            removeSocket()
            try? ControlFrames.write(fd, json: ControlAnswer())
        case .hello:
            serveHello(fd, lazy: request.lazy ?? false)
            return true
        case .check:
            serveCheck(fd)
            return true
        case .run:
            serveRun(fd, request)
            return true
        }
        return false
    }

    private func waitForLogin() -> Result<SSHConnection, any Error> {
        while true {
            if let login = state.withLock({ $0.login }) { return login }
            usleep(10_000)
        }
    }

    private func answer(for error: any Error) -> ControlAnswer {
        var answer = ControlAnswer()
        if let error = error as? TransportError { answer.error = error } else { answer.failure = "\(error)" }
        return answer
    }

    /// A client's run begins here: the login's outcome. A session already in use is proven to answer (one
    /// round trip) before the answer, unless the client asked for a lazy hello: such a client sends its
    /// first command at once and handles a `dead` answer itself (it repeats a read on a new master, and
    /// asks for a `check` before anything else), so a converged run pays no round trip for the proof.
    private func serveHello(_ fd: Int32, lazy: Bool) {
        let connection: SSHConnection
        switch waitForLogin() {
        case .failure(let error):
            try? ControlFrames.write(fd, json: answer(for: error))
            return
        case .success(let ready):
            connection = ready
        }
        var answer = ControlAnswer()
        let first = state.withLock { state in
            defer { state.loginReported = true }
            return !state.loginReported
        }
        if first {
            answer.usage = TransportUsage(loginRoundTrips: connection.counters?.current.loginRoundTrips ?? 0)
            answer.fresh = true
        } else if !lazy {
            guard let usage = proveSession(connection) else {
                answer.dead = true
                try? ControlFrames.write(fd, json: answer)
                return
            }
            answer.usage = usage
            answer.fresh = true
        }
        guard (try? ControlFrames.write(fd, json: answer)) != nil else { return }
        // The client's run lasts as long as this socket: nothing more comes on it but its end.
        while (try? ControlFrames.read(fd)) != nil {}
    }

    /// A client about to send a command that is not a read, on a session it has not seen answer yet.
    private func serveCheck(_ fd: Int32) {
        guard case .success(let connection) = waitForLogin() else {
            try? ControlFrames.write(fd, json: ControlAnswer(failure: "the connection master has no session"))
            return
        }
        var answer = ControlAnswer()
        if let usage = proveSession(connection) { answer.usage = usage } else { answer.dead = true }
        try? ControlFrames.write(fd, json: answer)
    }

    /// One round trip on the session; nil when it does not answer (within the connect timeout): the master
    /// then stops taking clients and ends.
    fileprivate func proveSession(_ connection: SSHConnection) -> TransportUsage? {
        let counters = TransportCounters()
        let probe = AsyncOutcome<CommandResult> {
            try await TransportCounters.$request.withValue(counters) { try await connection.run(":") }
        }
        let result = probe.wait(seconds: max(target.connectTimeout, 1))
        guard case .success(let reply)? = result, reply.status == 0 else {
            log.write("a client found the session dead (\(result.map { "\($0)" } ?? "no answer in \(target.connectTimeout) s"))")
            sessionDied("the SSH session no longer answers")
            return nil
        }
        return counters.current
    }

    /// New clients must start a new master: the socket goes now, the master ends at its next look.
    fileprivate func sessionDied(_ reason: String) {
        removeSocket()
        state.withLock { if $0.exitReason == nil { $0.exitReason = reason } }
    }

    private func serveRun(_ fd: Int32, _ request: ControlRequest) {
        guard let script = request.script, let input = try? ControlFrames.read(fd) else { return }
        guard case .success(let connection) = waitForLogin() else {
            try? ControlFrames.write(fd, json: ControlAnswer(failure: "the connection master has no session"))
            return
        }
        let counters = TransportCounters()
        let stdin = request.hasStdin ? input : nil
        let become = request.become
        let command = AsyncOutcome<CommandResult> {
            try await TransportCounters.$request.withValue(counters) { try await connection.run(script, stdin: stdin, become: become) }
        }
        // The client closes its side to cancel (a timeout, Ctrl-C, or its end): the command is stopped on
        // the host (SSHConnection.execute stops its process group) before the answer goes back.
        var cancelled = false
        while command.wait(seconds: 0.05) == nil {
            if !cancelled, UnixSocket.peerClosed(fd, waitMs: 0) {
                cancelled = true
                command.cancel()
            }
        }
        var answer = ControlAnswer()
        answer.usage = counters.current
        var output: CommandResult?
        switch command.wait(seconds: 0) {
        case .success(let result)?:
            answer.status = result.status
            answer.signal = result.signal
            output = result
        case .failure(let error)?:
            if error is CancellationError { answer.cancelled = true } else if sessionDiedDuring(error, connection, usage: &answer) {
                // The session died while the command was sent or awaited: whether it ran is unknown. The
                // client repeats a read on a new master, or reports the loss as a direct connection would.
                log.write("the session died during a client's command: \(error)")
                answer.dead = true
                answer.error = self.answer(for: error).error
                answer.failure = self.answer(for: error).failure
            } else {
                let failed = self.answer(for: error)
                answer.error = failed.error
                answer.failure = failed.failure
            }
        case nil:
            break
        }
        guard (try? ControlFrames.write(fd, json: answer)) != nil else { return }
        try? ControlFrames.write(fd, output?.stdout ?? Data())
        try? ControlFrames.write(fd, output?.stderr ?? Data())
    }
}

extension ConnectionMaster {
    /// After a failed command: whether the session is gone (then the master ends). A broken session is not
    /// always marked lost (the remote shell's channel may just see its end), so one that is not is proven
    /// with a round trip, counted in the answer's usage.
    fileprivate func sessionDiedDuring(_ error: any Error, _ connection: SSHConnection, usage answer: inout ControlAnswer) -> Bool {
        let lost = AsyncOutcome<Bool> { await connection.isLost }
        if case .success(false)? = lost.wait(seconds: 10), let proof = proveSession(connection) {
            answer.usage = (answer.usage ?? TransportUsage()) + proof
            return false
        }
        sessionDied("the SSH session ended during a command")
        return true
    }
}

extension ControlAnswer {
    init(failure: String) {
        self.init()
        self.failure = failure
    }
}

/// An async job watched from a blocking thread: its outcome once done, and a way to cancel it.
final class AsyncOutcome<T: Sendable>: Sendable {
    private let outcome = Mutex<Result<T, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)
    private let task = Mutex<Task<Void, Never>?>(nil)

    init(_ body: @escaping @Sendable () async throws -> T) {
        let started = Task { [self] in
            let result: Result<T, any Error>
            do { result = .success(try await body()) } catch { result = .failure(error) }
            finish(result)
        }
        task.withLock { $0 = started }
    }

    private func finish(_ result: Result<T, any Error>) {
        outcome.withLock { $0 = result }
        done.signal()
    }

    /// The outcome, or nil when it is not there within `seconds`.
    func wait(seconds: Double) -> Result<T, any Error>? {
        if let known = outcome.withLock({ $0 }) { return known }
        if done.wait(timeout: .now() + seconds) == .success { done.signal() }
        return outcome.withLock { $0 }
    }

    func cancel() { task.withLock { $0?.cancel() } }
}

/// Names of a master's files next to its socket.
enum MasterFiles {
    static func logPath(socket: String) -> String {
        (socket.hasSuffix(".sock") ? String(socket.dropLast(5)) : socket) + ".log"
    }
    static func lockPath(socket: String) -> String {
        (socket.hasSuffix(".sock") ? String(socket.dropLast(5)) : socket) + ".lock"
    }

    /// The lock a client holds while it decides whether to start a master (an fd to close to release it).
    static func lock(socket: String) throws -> Int32 {
        let path = lockPath(socket: socket)
        while true {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw ControlSocketError.io("cannot open \(path): \(String(cString: strerror(errno)))") }
            flock(fd, LOCK_EX)
            // A master that ended may have removed the file between our open and our flock: a lock on a
            // removed file guards nothing (the next client creates a new one), so take the current file's.
            if sameFile(fd, path) { return fd }
            close(fd)
        }
    }

    /// Removes what an ended master leaves next to its socket: the .lock, and the .log unless `keepLog`
    /// (a failed login: the log says why). Both stay while a client holds the lock: it is deciding whether
    /// to start a successor, which appends to the same .log; removing the .lock under it is safe (clients
    /// check they locked the current file) but the lock is only tried, never waited for, so a master never
    /// hangs on its way out: in that race the .lock stays, and the successor's own end removes it.
    static func removeLeftovers(socket: String, keepLog: Bool) {
        let path = lockPath(socket: socket)
        // Taken as a client takes it (created when a predecessor already removed it), so no client is
        // deciding about a successor while the files go.
        let lock = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return }
        defer { close(lock) }
        guard flock(lock, LOCK_EX | LOCK_NB) == 0, sameFile(lock, path) else { return }
        // A successor already listening (started while we ended) writes to the same .log: keep it.
        if !keepLog, access(socket, F_OK) != 0 { unlink(logPath(socket: socket)) }
        unlink(path)
    }

    private static func sameFile(_ fd: Int32, _ path: String) -> Bool {
        var open = stat(), named = stat()
        return fstat(fd, &open) == 0 && stat(path, &named) == 0 && open.st_ino == named.st_ino && open.st_dev == named.st_dev
    }
}

/// The master's own log (its stdio is /dev/null): start, login, exit and why.
final class MasterLog: Sendable {
    private let fd: Int32

    init(path: String) {
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    }

    func write(_ line: String) {
        guard fd >= 0 else { return }
        let text = ISO8601DateFormatter().string(from: Date()) + " " + line + "\n"
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
    }

    deinit { if fd >= 0 { close(fd) } }
}
