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
final class MasterConnection: SessionKeepingConnection, @unchecked Sendable {
    // @unchecked: `session` is set once in init and closed once (guarded by `closed`).
    let hostName: String
    let counters: TransportCounters? = TransportCounters()
    private let socketPath: String
    private let session: Int32
    private let closed = Mutex(false)

    private init(hostName: String, socketPath: String, session: Int32) {
        self.hostName = hostName
        self.socketPath = socketPath
        self.session = session
    }

    /// The master for `target`: the running one when its session still answers, else a new one started
    /// (a stale socket is removed first). Its login's errors are thrown as a direct connection throws them.
    static func connect(_ target: SSHTarget, persistence: ConnectionPersistence) async throws -> any Connection {
        let persisted = PersistedTarget(target)
        let directory = try ControlDirectory.prepare(persistence.directory)
        let socketPath = directory + "/" + persisted.digest + ".sock"
        let (session, usage) = try await BlockingCall.run {
            try MasterConnection.open(socketPath: socketPath, target: persisted, persistence: persistence)
        }
        let connection = MasterConnection(hostName: target.hostName, socketPath: socketPath, session: session)
        connection.counters?.record(usage)
        return connection
    }

    private static func open(socketPath: String, target: PersistedTarget, persistence: ConnectionPersistence) throws -> (Int32, TransportUsage) {
        let lock = Glibc.open(MasterFiles.lockPath(socket: socketPath), O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { throw ControlSocketError.io("cannot open \(MasterFiles.lockPath(socket: socketPath)): \(String(cString: strerror(errno)))") }
        defer { Glibc.close(lock) }
        // A master found dead answers so and goes; the next attempt starts a new one.
        for _ in 0..<3 {
            // One run at a time decides whether to start a master, so two runs never race to replace one.
            flock(lock, LOCK_EX)
            var fd: Int32
            switch UnixSocket.connect(socketPath) {
            case .connected(let existing):
                fd = existing
            case .stale, .missing:
                unlink(socketPath)
                do { fd = try startMaster(socketPath: socketPath, target: target, persistence: persistence) }
                catch { flock(lock, LOCK_UN); throw error }
            }
            flock(lock, LOCK_UN)
            let answer: ControlAnswer?
            // The answer waits for the master's login (or its check of the session), both bounded by the
            // target's timeouts; a wedged master must not hang the run beyond them.
            setReceiveTimeout(fd, seconds: target.connectTimeout * Double(target.jumps.count + 1) + target.handshakeTimeout + 30)
            do {
                try ControlFrames.write(fd, json: ControlRequest(kind: .hello))
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
            return (fd, answer.usage ?? TransportUsage())
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
        guard !closed.withLock({ $0 }) else { throw TransportError.closed(host: hostName) }
        guard case .connected(let fd) = UnixSocket.connect(socketPath) else {
            throw TransportError.connectionLost(host: hostName, detail: "the connection master (\(socketPath)) is gone")
        }
        defer { Glibc.close(fd) }
        let host = hostName
        let request = ControlRequest(script: script, stdin: stdin, become: become)
        // Cancelling closes our sending side: the master stops the command on the host, then answers.
        let (answer, stdout, stderr) = try await withTaskCancellationHandler {
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
                    throw TransportError.connectionLost(host: host, detail: "the connection master ended: \(error)")
                }
            }
        } onCancel: {
            shutdown(fd, Int32(SHUT_WR))
        }
        if let usage = answer.usage { counters?.record(usage) }
        if answer.cancelled { throw CancellationError() }
        if let error = answer.error { throw error }
        if let failure = answer.failure { throw TransportError.channelFailed(host: hostName, detail: failure) }
        return CommandResult(status: answer.status ?? -1, stdout: stdout, stderr: stderr, signal: answer.signal)
    }

    /// Ends the master (reset_connection): runs using it at the moment lose their session, as with ssh -O exit.
    func endKeptSession() async {
        _ = try? await BlockingCall.run { [socketPath] in ConnectionMasters.stop(socket: socketPath) }
    }

    func close() async {
        let first = closed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        if first { Glibc.close(session) }
    }

    deinit {
        if !closed.withLock({ $0 }) { Glibc.close(session) }
    }
}
