import Foundation
import KeelBase
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on a directory, held for the whole of one change to the lab, so that `keel lab`
/// invocations (test processes running side by side) never interleave their changes. flock locks belong
/// to the open file description, so two threads of one process exclude each other too.
enum LabLock {
    static func holding<T>(_ directory: String, _ body: () throws -> T) throws -> T {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KeelError("lab: cannot open \(directory) to lock it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            throw KeelError("lab: cannot lock \(directory): \(String(cString: strerror(errno)))")
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }
}
