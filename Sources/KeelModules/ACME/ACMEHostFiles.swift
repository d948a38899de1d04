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

