import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SIGINT and SIGTERM during `keel play`: the first one interrupts the run gracefully (`onInterrupt`
/// cancels it: running remote commands are stopped, the recap is printed, exit status 130); a second
/// one exits at once with 130, for when stopping takes too long. SIGTERM exits 130 too: both mean
/// "stopped on request", and one status keeps scripts simple (documented in docs/exit-codes.md).
final class InterruptHandler: @unchecked Sendable {
    // @unchecked: `sources` is written once in init; `count` only on the handlers' serial queue.
    private var sources: [DispatchSourceSignal] = []
    private var count = 0
    private let queue = DispatchQueue(label: "keel.signals")

    init(onInterrupt: @escaping @Sendable () -> Void) {
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)   // delivered to the dispatch source instead of killing the process
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [unowned self] in
                self.count += 1
                if self.count == 1 {
                    FileHandle.standardError.write(Data("\nInterrupted: stopping the running tasks (press Ctrl-C again to quit at once)\n".utf8))
                    onInterrupt()
                } else {
                    exit(130)
                }
            }
            source.resume()
            sources.append(source)
        }
    }

    func stop() {
        for source in sources { source.cancel() }
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
    }
}
