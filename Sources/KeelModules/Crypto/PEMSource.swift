import KeelBase

/// The PEM text an `_info` module reads: given inline as `content`, or a file on the host (at most 1 MiB).
enum PEMSource {
    static func read(path: String?, content: String?, what: String, expected: String = "a readable PEM file",
                     on host: HostContext) async throws -> String {
        if let content { return content }
        let path = path ?? ""
        let file = try await RemotePath.observe(path, on: host, contentLimit: 1 << 20)
        guard file.kind == .file, let data = file.content else {
            throw KeelError("\(host.name): no \(what) at \(path)", expected: expected, found: file.kind == .absent ? "nothing" : "\(file.kind)")
        }
        return String(decoding: data, as: UTF8.self)
    }
}
