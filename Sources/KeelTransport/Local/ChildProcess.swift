import Foundation
import KeelBase
#if canImport(Glibc)
import Glibc
#endif

/// Runs a program with pipes for stdin, stdout and stderr via posix_spawn, started clean (CleanSpawn:
/// no inherited blocked signals, no inherited descriptors), which Foundation's Process does not do.
enum ChildProcess {
    struct Output {
        var status: Int32
        var stdout: Data
        var stderr: Data
        var signal: Int32?
    }

    /// - Parameter started: told the pid once the program runs. The program leads a process group of its
    ///   own, so `stop(group:)` reaches everything it starts.
    static func run(_ executable: String, _ arguments: [String], stdin: Data?, started: ((pid_t) -> Void)? = nil) throws -> Output {
        let inPipe = try closeOnExecPipe(), outPipe = try closeOnExecPipe(), errPipe = try closeOnExecPipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        CleanSpawn.prepare(&actions, &attributes)
        var flags: Int16 = 0
        posix_spawnattr_getflags(&attributes, &flags)
        posix_spawnattr_setflags(&attributes, flags | Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        for fd in [inPipe[0], outPipe[1], errPipe[1]] { close(fd) }
        guard spawned == 0 else {
            for fd in [inPipe[1], outPipe[0], errPipe[0]] { close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: spawned) ?? .EIO)
        }

        started?(pid)
        // Both outputs are drained at once so a chatty command cannot fill one pipe and stall.
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data(), err = Data()
        let outHandle = FileHandle(fileDescriptor: outPipe[0], closeOnDealloc: true)
        let errHandle = FileHandle(fileDescriptor: errPipe[0], closeOnDealloc: true)
        group.enter()
        Thread.detachNewThread { out = outHandle.readDataToEndOfFile(); group.leave() }
        group.enter()
        Thread.detachNewThread { err = errHandle.readDataToEndOfFile(); group.leave() }
        let input = FileHandle(fileDescriptor: inPipe[1], closeOnDealloc: true)
        if let stdin, !stdin.isEmpty {
            // A command that exits without reading its input closes the pipe; that is not our error.
            try? input.write(contentsOf: stdin)
        }
        try? input.close()

        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        group.wait()
        // WIFSIGNALED / WTERMSIG / WEXITSTATUS, spelled out (the macros do not reach Swift).
        let termination = status & 0x7f
        if termination != 0 && termination != 0x7f {
            return Output(status: 128 + termination, stdout: out, stderr: err, signal: termination)
        }
        return Output(status: (status >> 8) & 0xff, stdout: out, stderr: err, signal: nil)
    }

    /// Signals a process group: TERM at once, KILL two seconds later for what ignored it.
    static func stop(group pid: pid_t) {
        kill(-pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { kill(-pid, SIGKILL) }
    }

    /// A pipe whose ends are close-on-exec at once (pipe2 is not exported to Swift): a program another
    /// thread starts meanwhile must not inherit them.
    private static func closeOnExecPipe() throws -> [Int32] {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fds
    }
}
