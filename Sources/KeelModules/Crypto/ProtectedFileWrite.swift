import Foundation
import KeelBase
import KeelTransport

/// One file to write: contents, mode. Secrets are never in a world-readable temporary file: the script
/// runs under umask 077 and sets the mode before the rename.
public struct ProtectedFileWrite: Sendable, Codable, Equatable, CustomStringConvertible {
    var path: String
    var content: String
    var mode: Int
    /// Owner and group (and a mode given as text) applied to the temporary file before the rename.
    var attributes: [AttributeChange] = []

    public var description: String { "write \(path) (mode \(String(mode, radix: 8)))" }

    func perform(on host: HostContext) async throws {
        let replacement = AtomicReplacement(destination: path, content: Data(content.utf8), createParentDirectories: true)
        let lines = ["umask 077"] + replacement.receive() + ["chmod \(String(mode, radix: 8)) -- \"$tmp\""]
            + attributes.map { $0.command(forShellWord: "\"$tmp\"") } + AtomicReplacement.commit
        try await host.runChecked(lines.joined(separator: "\n"), stdin: Data(content.utf8), failure: "cannot write \(path)")
    }
}
