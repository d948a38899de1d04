import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a file under /proc whole. `String(contentsOfFile:)` trusts the size stat reports, which is 0 for
/// proc files, and returned only the first 4 KiB of /proc/mounts: mounts past that point went unseen.
func readProcFile(_ path: String) -> String? {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return nil }
    defer { close(fd) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while true {
        let count = read(fd, &chunk, chunk.count)
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { break }
        bytes.append(contentsOf: chunk[0..<count])
    }
    return String(decoding: bytes, as: UTF8.self)
}
