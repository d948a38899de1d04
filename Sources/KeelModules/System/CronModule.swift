import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `cron`: one named job (or environment variable) in a user's crontab or an /etc/cron.d file
/// (ansible.builtin.cron). Jobs carry Ansible's `#Ansible: NAME` marker line, so crontabs Ansible
/// already manages keep working. The crontab (or file) is read in one round trip and replaced whole:
/// through `crontab -u USER -` for users, atomically for cron.d files.
public struct CronModule: Module {
    public static let name = "cron"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["special_time", "minute"], ["special_time", "hour"], ["special_time", "day"], ["special_time", "month"],
                           ["special_time", "weekday"], ["insertafter", "insertbefore"]],
       requiredIf: [RequiredIf("state", is: "present", requires: ["job"])])
    public static let documentation = ModuleDocumentation(
        summary: "Manage cron jobs and crontab variables",
        description: """
            Finds the job by its `#Ansible: NAME` marker (the line after it is the job), changes that line when the schedule, \
            command or disabled flag differ, appends marker and job when missing, and removes both with state=absent. \
            Variables (env=true) are `NAME=value` lines, new ones placed at the top (or by insertafter/insertbefore). \
            A cron_file with state=absent and no job removes the whole file.
            """,
        examples: """
            - cron:
                name: nightly backup
                hour: "2"
                minute: "30"
                job: /usr/local/bin/backup >/dev/null 2>&1
            - cron: name="renew certificates" special_time=daily user=acme job="/usr/bin/certbot renew -q"
            - cron:
                name: cleanup
                cron_file: keel-cleanup
                user: www-data
                minute: "*/15"
                job: find /srv/tmp -mtime +1 -delete
            - cron: name=MAILTO env=yes job=ops@example.com
            """,
        deviations: ["backup is ignored.", "Jobs without a marker (written by hand) are never adopted or removed, as in Ansible."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, format: .singleLine, help: "The job's description, written in its `#Ansible: NAME` marker (with env=true, the variable's name).") var name: String
        @Option("job", .string, aliases: ["value"], format: .singleLine, help: "The command (with env=true, the variable's value). Required with state=present.") var job: String?
        @Option("state", choices: JobState.self, default: .present, help: "Whether the job is there.") var state: JobState
        @Option("user", .string, format: .word, help: "Whose crontab (default: the connecting user's). With cron_file, the user column of the line (default root).") var user: String?
        @Option("cron_file", .path, help: "A file in /etc/cron.d (a bare name) or an absolute path, instead of a user crontab.") var cron_file: String?
        @Option("minute", .string, default: "*", format: .singleLine, help: "Minute field.") var minute: String
        @Option("hour", .string, default: "*", format: .singleLine, help: "Hour field.") var hour: String
        @Option("day", .string, default: "*", aliases: ["dom"], format: .singleLine, help: "Day of month field.") var day: String
        @Option("month", .string, default: "*", format: .singleLine, help: "Month field.") var month: String
        @Option("weekday", .string, default: "*", aliases: ["dow"], format: .singleLine, help: "Day of week field.") var weekday: String
        @Option("special_time", choices: SpecialTime.self, help: "An @keyword instead of the five time fields.") var special_time: SpecialTime?
        @Option("disabled", .bool, default: false, help: "Keep the job but commented out.") var disabled: Bool
        @Option("env", .bool, default: false, help: "Manage an environment variable line NAME=JOB instead of a job.") var env: Bool
        @Option("insertafter", .string, format: .singleLine, help: "With env=true: put a new variable after the variable of this name.") var insertafter: String?
        @Option("insertbefore", .string, format: .singleLine, help: "With env=true: put a new variable before the variable of this name.") var insertbefore: String?
        @Option("backup", .bool, default: false, help: "Accepted; Keel does not keep a copy of the crontab.") var backup: Bool
        var filePath: String? {
            cron_file.map { $0.hasPrefix("/") ? $0 : "/etc/cron.d/" + $0 }
        }

        public init() {}
    }

    /// cron's @-schedules (the name after the @).
    public enum SpecialTime: String, OptionChoice { case annually, daily, hourly, monthly, reboot, weekly, yearly }

    public enum JobState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        /// The crontab's (or file's) text; nil when there is none.
        var content: String?
    }

    /// `file` nil: the user's crontab (through `crontab`), else a cron_file.
    public enum Step: Sendable, Codable, Equatable { case write(String, file: String?, user: String?), removeFile(String) }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let script: String
        if let path = a.filePath {
            script = "if [ -f \(ShellQuote.quote(path)) ]; then echo KEEL_CONTENT; cat -- \(ShellQuote.quote(path)); fi"
        } else {
            let user = a.user.map { "-u \(ShellQuote.quote($0)) " } ?? ""
            script = """
                command -v crontab >/dev/null 2>&1 || { echo KEEL_NO_CRONTAB; exit 0; }
                if out=$(crontab \(user)-l 2>/dev/null); then echo KEEL_CONTENT; printf '%s\\n' "$out"; fi
                true
                """
        }
        let result = try await host.run(script)
        let text = result.stdoutText
        if text.hasPrefix("KEEL_NO_CRONTAB") {
            throw KeelError("\(host.name): cron: the crontab command is missing", expected: "cron installed (crontab)", found: "no crontab command")
        }
        guard let marker = text.range(of: "KEEL_CONTENT\n") else { return State(content: nil) }
        var content = String(text[marker.upperBound...])
        if content == "\n" { content = "" }
        return State(content: content)
    }

    static func marker(_ name: String) -> String { "#Ansible: \(name)" }

    func jobLine(_ a: Arguments) -> String {
        let schedule = a.special_time.map { "@\($0.rawValue)" } ?? "\(a.minute) \(a.hour) \(a.day) \(a.month) \(a.weekday)"
        let user = a.cron_file != nil ? " \(a.user ?? "root")" : ""
        return (a.disabled ? "#" : "") + "\(schedule)\(user) \(a.job ?? "")"
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let before = observed.content ?? ""
        var lines = before.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let values: OrderedDictionary<String, Value> = ["name": .string(a.name), "state": .string(a.state.rawValue)]
        if a.state == .absent, a.job == nil, !a.env, let path = a.filePath, observed.content != nil,
           !lines.contains(Self.marker(a.name)) {
            return Plan(steps: [.removeFile(path)], diffs: [Diff(label: path, before: before, after: "")], values: values)
        }
        if a.env {
            func isVariable(_ line: String, _ name: String) -> Bool {
                line.hasPrefix(name + "=") || line.hasPrefix(name + " =")
            }
            let index = lines.firstIndex { isVariable($0, a.name) }
            let line = "\(a.name)=\(a.job ?? "")"
            if a.state == .absent { if let index { lines.remove(at: index) } }
            else if let index { lines[index] = line }
            else if let after = a.insertafter, let anchor = lines.firstIndex(where: { isVariable($0, after) }) { lines.insert(line, at: anchor + 1) }
            else if let beforeName = a.insertbefore, let anchor = lines.firstIndex(where: { isVariable($0, beforeName) }) { lines.insert(line, at: anchor) }
            else { lines.insert(line, at: 0) }
        } else {
            let markerIndex = lines.firstIndex(of: Self.marker(a.name))
            if a.state == .absent {
                if let markerIndex {
                    lines.remove(at: markerIndex)
                    if markerIndex < lines.count { lines.remove(at: markerIndex) }
                }
            } else if let markerIndex {
                if markerIndex + 1 < lines.count { lines[markerIndex + 1] = jobLine(a) } else { lines.append(jobLine(a)) }
            } else {
                lines += [Self.marker(a.name), jobLine(a)]
            }
        }
        let after = lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
        guard after != before, !(observed.content == nil && after.isEmpty) else { return .unchanged(values: values) }
        let label = a.filePath ?? "crontab of \(a.user ?? "the remote user")"
        return Plan(steps: [.write(after, file: a.filePath, user: a.user)], diffs: [Diff(label: label, before: before, after: after)], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        switch plan.steps[0] {
        case .removeFile(let path):
            try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
        case .write(let content, let file, let user):
            if let path = file {
                _ = try await FileWrite(destination: path, content: Data(content.utf8), attributes: [.mode(0o644)]).perform(on: host)
            } else {
                let user = user.map { "-u \(ShellQuote.quote($0)) " } ?? ""
                try await host.runChecked("crontab \(user)-", stdin: Data(content.utf8), failure: "crontab refused the new crontab")
            }
        }
        return .changed()
    }
}
