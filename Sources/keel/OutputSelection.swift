import ArgumentParser
import Foundation
import KeelBase
import KeelReport

/// `--output FORMAT[=FILE]`, repeatable: one run can print for people and, at the same time, leave a
/// pull-request summary and a JUnit file for CI (`--output markdown=pr.md --output junit=report.xml`).
/// At most one format goes to stdout; when every format is given a file, the human output keeps stdout.
struct OutputSelection {
    static let formats = ["human", "json", "github", "markdown", "junit"]

    struct Target: Equatable {
        var format: String
        var path: String?
    }

    let targets: [Target]

    init(_ values: [String], fallback: String?) throws {
        var targets: [Target] = []
        for value in values {
            let parts = value.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let format = parts[0].lowercased()
            guard Self.formats.contains(format) else {
                throw ValidationError("--output takes \(Self.formats.joined(separator: ", ")), optionally as FORMAT=FILE; not '\(value)'")
            }
            if parts.count == 2 && parts[1].isEmpty { throw ValidationError("--output \(format)= needs a file name after '='") }
            targets.append(Target(format: format, path: parts.count == 2 ? parts[1] : nil))
        }
        let onStdout = targets.filter { $0.path == nil }
        if onStdout.count > 1 {
            throw ValidationError("only one --output can go to stdout (\(onStdout.map(\.format).joined(separator: " and "))); give the others a file: FORMAT=FILE")
        }
        let paths = targets.compactMap(\.path)
        if let twice = paths.first(where: { path in paths.filter { $0 == path }.count > 1 }) {
            throw ValidationError("two --output formats write to the same file '\(twice)'")
        }
        if onStdout.isEmpty { targets.insert(Target(format: fallback ?? "human", path: nil), at: 0) }
        self.targets = targets
    }

    /// The sinks, with files opened (and truncated) now, so a path that cannot be written fails before
    /// any host is touched.
    func sinks(verbosity: Int, showDiffs: Bool) throws -> [any ReportSink] {
        var sinks: [any ReportSink] = []
        for target in targets {
            let write = try Self.writer(target.path)
            switch target.format {
            case "json": sinks.append(JSONLinesReporter(write: write))
            case "github": sinks.append(GitHubReporter(write: write))
            case "markdown": sinks.append(MarkdownReporter(write: write))
            case "junit": sinks.append(JUnitReporter(write: write))
            default:
                // Colors and the progress line only for a terminal, never into a file.
                let style = target.path == nil ? ConsoleReporter.Style.detect(verbosity: verbosity, showDiffs: showDiffs)
                    : ConsoleReporter.Style(colors: false, verbosity: verbosity, showDiffs: showDiffs)
                sinks.append(ConsoleReporter(style: style, write: write))
            }
        }
        return sinks
    }

    private static func writer(_ path: String?) throws -> @Sendable (String) -> Void {
        guard let path else { return { StandardOutput.write($0) } }
        return try fileWriter(path)
    }

    private static func fileWriter(_ path: String) throws -> @Sendable (String) -> Void {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw ValidationError("--output: cannot write '\(path)': \(String(cString: strerror(errno)))")
        }
        return { handle.write(Data($0.utf8)) }
    }
}
