import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One OS thread per SSH session. libssh2 is blocking C and not thread-safe per session, so every call on a
/// session happens on its own thread, in order; Swift code talks to it through `perform`, which suspends
/// the caller (never blocking a cooperative-pool thread). While idle the thread polls a wake pipe and any
/// registered background work (ProxyJump tunnels, keepalives), so a session is never left unattended.
final class SessionThread: @unchecked Sendable {
    /// Background work run on the session thread between jobs. Returns the file descriptors it wants polled.
    typealias Ticker = () -> [pollfd]

    private let lock = NSLock()
    private var jobs: [() -> Void] = []
    private var stopping = false
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var thread: Thread?
    /// Touched only on the session thread.
    private var tickers: [Int: Ticker] = [:]
    private var nextTickerID = 0
    private var idleHandler: (() -> Void)?
    private var idleInterval: Double = 0
    private var lastIdle = Date()

    init(name: String) {
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)
        // The thread keeps its SessionThread alive until the loop ends (after stop()).
        let thread = Thread { [self] in self.loop() }
        thread.name = "keel-ssh-\(name)"
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    deinit {
        close(wakeRead)
        close(wakeWrite)
    }

    /// Runs `body` on the session thread and returns its result.
    func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let accepted = enqueue {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            if !accepted { continuation.resume(throwing: CancellationError()) }
        }
    }

    /// Stops the thread after the queued jobs have run, running `last` (if given) as its final job.
    func stop(after last: (() -> Void)? = nil) {
        lock.lock()
        if let last, !stopping { jobs.append(last) }
        stopping = true
        lock.unlock()
        wake()
    }

    // MARK: called on the session thread only

    func addTicker(_ ticker: @escaping Ticker) -> Int {
        nextTickerID += 1
        tickers[nextTickerID] = ticker
        return nextTickerID
    }

    func removeTicker(_ id: Int) { tickers[id] = nil }

    func setIdleHandler(every seconds: Double, _ handler: @escaping () -> Void) {
        idleInterval = seconds
        idleHandler = handler
    }

    // MARK: private

    private func enqueue(_ job: @escaping () -> Void) -> Bool {
        lock.lock()
        if stopping { lock.unlock(); return false }
        jobs.append(job)
        lock.unlock()
        wake()
        return true
    }

    private func wake() {
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    private func loop() {
        while true {
            lock.lock()
            let batch = jobs
            jobs.removeAll()
            let done = stopping && batch.isEmpty
            lock.unlock()
            if done { break }
            for job in batch { job() }
            if !batch.isEmpty { continue }
            idleWait()
        }
        tickers.removeAll()
        idleHandler = nil
    }

    /// Sleeps until a job arrives, a ticker's descriptor is ready, or the idle interval passes.
    private func idleWait() {
        var fds = [pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
        for ticker in tickers.values { fds.append(contentsOf: ticker()) }
        let timeoutMs: Int32
        if tickers.count > 0 { timeoutMs = 20 }          // tunnels: libssh2 may hold buffered data
        else if idleInterval > 0 { timeoutMs = Int32(idleInterval * 1000) }
        else { timeoutMs = -1 }
        _ = poll(&fds, nfds_t(fds.count), timeoutMs)
        var drain = [UInt8](repeating: 0, count: 64)
        while read(wakeRead, &drain, drain.count) > 0 {}
        if let idleHandler, idleInterval > 0, Date().timeIntervalSince(lastIdle) >= idleInterval {
            lastIdle = Date()
            idleHandler()
        }
    }
}
