import Foundation
import KeelBase
import KeelTransport

/// The files the acme module keeps on the host, read in one round trip and written atomically.
struct ACMEHostFiles: Sendable, Equatable, Codable {
    var privateKey: String?
    var certificate: String?
    var chain: String?
    var fullChain: String?
    var combined: String?

    /// One script: each file that exists as `NAME=<base64>` (PEM is text, base64 keeps it one line).
    static func observationScript(_ paths: [(name: String, path: String?)]) -> String {
        paths.compactMap { item in
            item.path.map { "if [ -f \(ShellQuote.quote($0)) ]; then printf '\(item.name)=%s\\n' \"$(base64 -w0 < \(ShellQuote.quote($0)))\"; fi" }
        }.joined(separator: "\n") + "\ntrue"
    }

    static func parse(_ output: String) -> [String: String] {
        var files: [String: String] = [:]
        for line in output.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            let data = Data(base64Encoded: String(line[line.index(after: equals)...])) ?? Data()
            files[String(line[..<equals])] = String(decoding: data, as: UTF8.self)
        }
        return files
    }
}

/// One file to write: contents, mode. Secrets are never in a world-readable temporary file: the script
/// runs under umask 077 and sets the mode before the rename.
public struct ACMEFileJob: Sendable, Codable, Equatable, CustomStringConvertible {
    var path: String
    var content: String
    var mode: Int

    public var description: String { "write \(path) (mode \(String(mode, radix: 8)))" }

    func perform(on host: HostContext) async throws {
        let replacement = AtomicReplacement(destination: path, content: Data(content.utf8), createParentDirectories: true)
        let lines = ["umask 077"] + replacement.receive() + ["chmod \(String(mode, radix: 8)) -- \"$tmp\""] + AtomicReplacement.commit
        try await host.runChecked(lines.joined(separator: "\n"), stdin: Data(content.utf8), failure: "cannot write \(path)")
    }
}
