import Foundation
import KeelEngine
import KeelHistory

/// The history sink for a `keel play`, `keel apply` or `keel drift` run, unless KEEL_HISTORY=off.
enum HistoryRecording {
    static func recorder(playbooks: [String], options: RunOptions) -> HistoryRecorder? {
        guard let path = HistoryStore.defaultPath() else { return nil }
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") || path.contains(",") ? path : URL(fileURLWithPath: path, relativeTo: cwd).standardizedFileURL.path
        }
        return HistoryRecorder(path: path, context: .init(command: commandLine(), playbooks: playbooks.map(absolute),
                                                          inventory: options.inventorySources.map(absolute),
                                                          extraVarNames: Array(options.extraVars.keys), limit: options.limit))
    }

    /// The command as typed, with the values of -e/--extra-vars left out (they may be passwords).
    static func commandLine(_ arguments: [String] = CommandLine.arguments) -> String {
        var words: [String] = ["keel"]
        var hideNext = false
        for argument in arguments.dropFirst() {
            if hideNext {
                words.append("(extra vars)")
                hideNext = false
            } else if argument == "-e" || argument == "--extra-vars" {
                words.append(argument)
                hideNext = true
            } else if argument.hasPrefix("--extra-vars=") || (argument.hasPrefix("-e") && argument.count > 2 && !argument.hasPrefix("--")) {
                words.append("-e (extra vars)")
            } else {
                words.append(argument.contains(" ") || argument.isEmpty ? "'\(argument.replacingOccurrences(of: "'", with: "'\\''"))'" : argument)
            }
        }
        return words.joined(separator: " ")
    }
}
