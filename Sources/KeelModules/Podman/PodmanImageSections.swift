import KeelBase

/// One round trip for several observations: each named shell fragment runs in turn and its output is
/// cut out by a marker line. A fragment that fails ends the script and the task, with its own message.
enum PodmanSections {
    static let marker = "@@KEEL-SECTION "

    static func run(_ sections: [(String, String)], on host: HostContext, failure: String) async throws -> [String: String] {
        var script = ""
        for (name, body) in sections {
            script += "echo '\(marker)\(name)'\n(\n\(body)\n) || exit $?\n"
        }
        let result = try await host.runChecked(script, failure: failure, detail: .combined)
        return split(result.stdoutText)
    }

    static func split(_ text: String) -> [String: String] {
        var lines: [String: [Substring]] = [:]
        var current: String?
        var all = text.split(separator: "\n", omittingEmptySubsequences: false)
        if all.last == "" { all.removeLast() }
        for line in all {
            if line.hasPrefix(marker) {
                let name = String(line.dropFirst(marker.count))
                current = name
                lines[name] = []
            } else if let name = current {
                lines[name, default: []].append(line)
            }
        }
        return lines.mapValues { $0.isEmpty ? "" : $0.joined(separator: "\n") + "\n" }
    }
}
