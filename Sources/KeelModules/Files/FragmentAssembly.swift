import Foundation
import KeelBase

/// How assemble joins fragments, byte for byte as Ansible 2.19 does:
/// - a newline goes between two fragments when the first does not end with one (an empty fragment counts
///   as not ending with one); nothing is added after the last fragment;
/// - the delimiter goes only between fragments, un-escaped like a Python bytes literal, followed by a
///   newline unless it ends with one. Ansible un-escapes the delimiter again for every gap (its loop
///   reassigns the decoded value), so the delimiter before the third fragment is decoded twice: `\\\\n`
///   is `\\n` in the first gap and a newline from the second on. Kept, so the bytes agree.
/// - Ansible's controller-side path (remote_src: false) always adds the newline after the delimiter (its
///   check compares an integer with a bytes object, which never match). Kept as well.
struct FragmentAssembly {
    var delimiter: String?
    /// True for fragments read on the controller (Ansible's action plugin), false for the host (the module).
    var newlineAfterEveryDelimiter: Bool

    func assemble(_ fragments: [Data]) throws -> Data {
        var out = Data()
        var delimiterBytes = delimiter.map { Array($0.utf8) }
        var wroteFragment = false
        var needsNewline = false
        for fragment in fragments {
            if needsNewline { out.append(0x0A) }
            if wroteFragment, let current = delimiterBytes, !current.isEmpty {
                let decoded = try PythonBytesEscape.decode(current)
                guard let last = decoded.last else {
                    throw KeelError("the delimiter is empty once un-escaped", expected: "a delimiter with text",
                                    found: String(decoding: current, as: UTF8.self))
                }
                out.append(contentsOf: decoded)
                if newlineAfterEveryDelimiter || last != 0x0A { out.append(0x0A) }
                delimiterBytes = decoded
            }
            out.append(fragment)
            wroteFragment = true
            needsNewline = fragment.last != 0x0A
        }
        return out
    }
}
