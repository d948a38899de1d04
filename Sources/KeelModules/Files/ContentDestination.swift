import Foundation
import KeelBase
import KeelTransport

/// Where copy and template put a file: `dest` itself, or `dest/<name of src>` when dest ends in / or is
/// an existing directory (not a link to one), as Ansible decides it. Resolved on the host in the same
/// round trip that observes the final path.
struct ContentDestination {
    var path: String
    var current: RemotePath

    static func observe(dest: String, sourceName: String, on host: HostContext) async throws -> ContentDestination {
        let script = PathObservation(.destination(dest: dest, name: sourceName), checksum: true,
                                     contentLimit: ContentConvergence.diffLimit).script
        let result = try await host.run(script)
        guard result.status == 0, let newline = result.stdout.firstIndex(of: 0x0A) else {
            throw KeelError("\(host.name): cannot inspect \(dest): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let path = String(decoding: result.stdout[result.stdout.startIndex..<newline], as: UTF8.self)
        return ContentDestination(path: path, current: try RemotePath.parse(Data(result.stdout[(newline + 1)...])))
    }
}
