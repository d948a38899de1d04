import Foundation

/// The command line as the kernel gave it, checked before the argument parser sees it. Swift's
/// `CommandLine.arguments` repairs bytes that are not UTF-8 into U+FFFD, so `-e name=$'\xff'` silently
/// became another name (and another file on a host). Keel refuses such arguments instead.
enum RawArguments {
    /// A message naming the first argument that is not valid UTF-8, or nil when all are.
    static func firstInvalid() -> String? {
        let count = Int(CommandLine.argc)
        for index in 1..<max(count, 1) {
            guard let pointer = CommandLine.unsafeArgv[index] else { continue }
            let bytes = Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                                  count: strlen(pointer)))
            if String(validating: bytes, as: UTF8.self) == nil {
                let shown = bytes.map { $0 < 0x80 && $0 >= 0x20 ? String(UnicodeScalar($0)) : String(format: "\\x%02x", $0) }.joined()
                let previous = index > 1 ? CommandLine.unsafeArgv[index - 1].map { String(cString: $0) } : nil
                let option = previous.map { $0.hasPrefix("-") ? " (the value of \($0))" : "" } ?? ""
                return "error: argument \(index)\(option) is not valid UTF-8: \(shown)\n"
                    + "  expected: UTF-8 text (Keel would otherwise replace the bytes with U+FFFD and act on another value)\n"
                    + "  found: bytes that are not UTF-8"
            }
        }
        return nil
    }
}
