import Foundation
import KeelBase

/// Output for people, in Ansible's familiar shape: PLAY and TASK headers, one line per host, unified
/// diffs, and the PLAY RECAP. Colors only on a terminal and never with NO_COLOR set.
public actor ConsoleReporter: ReportSink {
    public struct Style: Sendable {
        public var colors: Bool
        public var verbosity: Int
        public var showDiffs: Bool
        /// A live "waiting for N hosts" line on stderr while a task runs long (terminals only).
        public var progress: Bool

        public init(colors: Bool, verbosity: Int = 0, showDiffs: Bool = false, progress: Bool = false) {
            self.colors = colors
            self.verbosity = verbosity
            self.showDiffs = showDiffs
            self.progress = progress
        }

        /// Colors when stdout is a terminal and NO_COLOR is unset (https://no-color.org).
        public static func detect(verbosity: Int = 0, showDiffs: Bool = false) -> Style {
            let environment = ProcessInfo.processInfo.environment
            let colors = isatty(STDOUT_FILENO) == 1 && environment["NO_COLOR"] == nil && environment["TERM"] != "dumb"
            let progress = isatty(STDERR_FILENO) == 1 && environment["TERM"] != "dumb"
            return Style(colors: colors, verbosity: verbosity, showDiffs: showDiffs, progress: progress)
        }
    }

    let style: Style
    private let writeOutput: @Sendable (String) -> Void
    private let writeProgress: @Sendable (String) -> Void
    private var checkMode = false
    private var progress = ProgressLine()

    public init(style: Style, write: @escaping @Sendable (String) -> Void = { StandardOutput.write($0) },
                writeProgress: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }) {
        self.style = style
        self.writeOutput = { write(SecretRedactor.shared.redact($0)) }
        self.writeProgress = { writeProgress(SecretRedactor.shared.redact($0)) }
    }

    /// Every line of output first erases the progress line, so the two never mix.
    private func write(_ text: String) {
        if progress.shown {
            writeProgress("\r\u{1B}[K")
            progress.shown = false
        }
        writeOutput(text)
    }

    public func handle(_ event: RunEvent) async {
        trackProgress(event)
        switch event {
        case .runStarted(let info):
            checkMode = info.checkMode
        case .playStarted(let play):
            write("\n" + banner("PLAY [\(play.name)]") + "\n")
        case .taskStarted(let task):
            write("\n" + banner("\(task.isHandler ? "RUNNING HANDLER" : "TASK") [\(task.name)]") + "\n")
        case .hostResult(let result):
            write(line(for: result))
        case .warning(let message, let location):
            write(paint("[WARNING]: \(location.map { "\($0): " } ?? "")\(message)\n", .magenta))
        case .recap(let recaps, let elapsed):
            write("\n" + banner("PLAY RECAP") + "\n")
            // Ansible's layout: host padded to 26, then `name=%-4s` fields separated by a space.
            for recap in recaps {
                let color: Color = recap[.failed] + recap[.unreachable] > 0 ? .red : recap[.changed] > 0 ? .yellow : .green
                let host = recap.host.count >= 26 ? recap.host : recap.host.padding(toLength: 26, withPad: " ", startingAt: 0)
                var text = paint(host, color) + " : "
                text += HostTaskResult.Status.allCases.map { status -> String in
                    "\(status.rawValue)=" + String(recap[status]).padding(toLength: 4, withPad: " ", startingAt: 0)
                }.joined(separator: " ")
                while text.hasSuffix(" ") { text.removeLast() }
                write(text + "\n")
            }
            // -v: what each host cost on the wire (round trips decide the time over a real network).
            let costs = recaps.compactMap { recap in recap.transport.map { (recap.host, $0) } }
            if style.verbosity > 0, !costs.isEmpty {
                write("\n" + banner("TRANSPORT") + "\n")
                for (host, usage) in costs {
                    let name = host.count >= 26 ? host : host.padding(toLength: 26, withPad: " ", startingAt: 0)
                    write(name + " : " + usage.line + "\n")
                }
            }
            write(String(format: "\nfinished in %.2f s%@\n", elapsed, checkMode ? " (check mode: nothing was changed)" : ""))
        }
    }

    /// Keeps the set of hosts still running the current task and, after a second, starts the ticker that
    /// shows them.
    private func trackProgress(_ event: RunEvent) {
        guard style.progress else { return }
        switch event {
        case .taskStarted(let task):
            progress.start(task.hosts)
            let token = progress.token
            guard task.hosts.count > 1 else { return }
            Task { [weak self] in
                try? await Task.sleep(for: .seconds(1))
                while let self, await self.refreshProgress(for: token) { try? await Task.sleep(for: .milliseconds(500)) }
            }
        case .hostResult(let result):
            progress.finished(result.host)
        case .recap:
            progress.start([])
        default:
            break
        }
    }

    /// Redraws the progress line now (the ticker calls it every half second after the first second);
    /// false once the task it was started for is over.
    @discardableResult
    func refreshProgress(for token: Int? = nil) -> Bool {
        guard token == nil || token == progress.token, let text = progress.text else { return false }
        writeProgress("\r\u{1B}[K" + text)
        progress.shown = true
        return true
    }

    func line(for result: HostTaskResult) -> String {
        let item = result.item.map { " => (item=\($0))" } ?? ""
        var text: String
        switch result.status {
        case .ok: text = paint("ok: [\(result.host)]\(item)", .green)
        case .changed: text = paint("changed: [\(result.host)]\(item)", .yellow)
        case .skipped: text = paint("skipping: [\(result.host)]\(item)", .cyan)
        case .failed, .ignored:
            text = paint("fatal: [\(result.host)]\(item): FAILED! => \(result.message ?? "failed")", .red)
            if result.status == .ignored { text += "\n" + paint("...ignoring", .cyan) }
        case .unreachable: text = paint("fatal: [\(result.host)]: UNREACHABLE! => \(result.message ?? "")", .red)
        case .rescued: text = paint("rescued: [\(result.host)]\(item)", .cyan)
        }
        if result.display || (style.verbosity > 0 && !result.values.isEmpty), result.status == .ok || result.status == .changed {
            text += " => " + Value.dict(result.values).prettyJSON(indent: 4, sortedKeys: false)
        } else if style.verbosity > 0, result.status != .failed, let message = result.message {
            text += " => \(message)"
        }
        text += "\n"
        if style.showDiffs {
            for diff in result.diffs {
                text += colorDiff(diff.unified)
            }
        }
        return text
    }

    func colorDiff(_ diff: String) -> String {
        guard style.colors else { return diff }
        return diff.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            if line.hasPrefix("+++") || line.hasPrefix("---") { return paint(String(line), .bold) }
            if line.hasPrefix("+") { return paint(String(line), .green) }
            if line.hasPrefix("-") { return paint(String(line), .red) }
            if line.hasPrefix("@@") { return paint(String(line), .cyan) }
            return String(line)
        }.joined(separator: "\n")
    }

    func banner(_ title: String) -> String {
        title + " " + String(repeating: "*", count: max(3, 79 - title.count))
    }

    enum Color: String { case red = "31", green = "32", yellow = "33", magenta = "35", cyan = "36", bold = "1" }

    func paint(_ text: String, _ color: Color) -> String {
        style.colors ? "\u{1B}[\(color.rawValue)m\(text)\u{1B}[0m" : text
    }
}
