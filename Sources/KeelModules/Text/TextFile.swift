import Foundation
import KeelBase

/// A text file that a module edits on the controller (blockinfile, replace): read whole in the same round
/// trip as its attributes, then written back through ContentConvergence only if the text changed.
enum TextFile {
    /// Files up to this size are edited; larger ones are refused rather than truncated.
    static let sizeLimit = 32 * 1024 * 1024

    static func observe(_ path: String, on host: HostContext) async throws -> RemotePath {
        try await RemotePath.observe(path, on: host, checksum: true, contentLimit: sizeLimit)
    }

    /// The text of an observed regular file, or a clear error for anything else.
    static func text(of observed: RemotePath, path: String) throws -> String {
        switch observed.kind {
        case .file:
            guard let content = observed.content else { throw KeelError("\(path) is larger than \(sizeLimit) bytes: too large to edit") }
            guard let text = String(data: content, encoding: .utf8) else { throw KeelError("\(path) is not UTF-8 text") }
            return text
        case .directory:
            throw KeelError("path \(path) is a directory", expected: "a regular file")
        default:
            throw KeelError("\(path) is a \(observed.kind.rawValue)", expected: "a regular file")
        }
    }

    /// Python's `splitlines(keepends=True)` on bytes: lines end at \r\n, \r or \n and keep their ending.
    static func splitLines(_ text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var iterator = Array(text.unicodeScalars)
        var i = 0
        while i < iterator.count {
            let scalar = iterator[i]
            current.append(scalar)
            if scalar == "\r", i + 1 < iterator.count, iterator[i + 1] == "\n" {
                current.append("\n")
                i += 1
            }
            if scalar == "\r" || scalar == "\n" {
                lines.append(String(current))
                current = String.UnicodeScalarView()
            }
            i += 1
        }
        if !current.isEmpty { lines.append(String(current)) }
        iterator.removeAll()
        return lines
    }

    /// Whether a line ends with "\n" (scalars: Swift sees "\r\n" as one Character).
    static func endsWithNewline(_ line: String) -> Bool { line.unicodeScalars.last == "\n" }
}
