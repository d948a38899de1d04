import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `debconf` (ansible.builtin.debconf): a debconf question of a package has the given answer, set with
/// debconf-set-selections; the current answers are read with debconf-show (passwords with
/// debconf-get-selections), compared as Ansible compares them.
public struct DebconfModule: Module {
    public static let name = "debconf"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Preseed debconf answers",
        description: """
            Reads the package's answers with `debconf-show NAME` and, when `question`'s answer differs from `value`, \
            sets it with `debconf-set-selections` (`-u` with unseen). Booleans compare lowercased, multiselect lists \
            compare sorted, passwords are read with debconf-get-selections (package debconf-utils). Without a question \
            the task only reports the package's answers in `current`.
            """,
        examples: """
            - debconf:
                name: tzdata
                question: tzdata/Areas
                vtype: select
                value: Europe
            - debconf: name=mysql-server question=mysql-server/root_password vtype=password value="{{ secret }}"
              no_log: true
            """,
        deviations: ["A number as value compares as its text (Ansible compares an int with the shown text and always reports a change)."])

    public struct Arguments: ModuleArguments {
        @Option("name", .string, required: true, aliases: ["pkg"], format: .word, help: "The package owning the question.") var name: String
        @Option("question", .string, aliases: ["selection", "setting"], format: .word, help: "The question, e.g. tzdata/Areas.") var question: String?
        @Option("vtype", choices: ValueType.self, help: "The question's type.") var vtype: ValueType?
        @Option("value", .raw, aliases: ["answer"], help: "The answer (a list for multiselect).") var value: Value?
        @Option("unseen", .bool, default: false, help: "Do not mark the question as seen (`debconf-set-selections -u`).") var unseen: Bool
        public init() {}
    }

    public enum ValueType: String, OptionChoice { case boolean, error, multiselect, note, password, seen, select, string, text, title }

    public struct State: Equatable, Sendable {
        var answers: OrderedDictionary<String, String>
        /// The stored password of the question (vtype password only); nil when none is stored.
        var password: String?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var line: String
        var unseen: Bool
        var secret: Bool
        public var description: String { secret ? "debconf-set-selections (a password)" : "debconf-set-selections: \(line)" }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let given = [a.question != nil, a.vtype != nil, a.value != nil]
        if given.contains(true) && given.contains(false) {
            throw KeelError("debconf: parameters are required together: question, vtype, value", expected: "all three or none",
                            found: zip(["question", "vtype", "value"], given).filter(\.1).map(\.0).joined(separator: ", "))
        }
        let name = ShellQuote.quote(a.name)
        let show = try await host.runChecked("debconf-show \(name)", failure: "debconf-show \(a.name) failed")
        var answers: OrderedDictionary<String, String> = [:]
        for line in show.stdoutText.split(whereSeparator: { $0 == "\n" || $0 == "\r" }) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "*")).trimmingCharacters(in: .whitespaces)
            answers[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var password: String?
        if a.vtype == .password, let question = a.question, answers[question] != nil {
            let selections = try await host.runChecked("debconf-get-selections", failure: "Failed to get the value '\(question)' from '\(a.name)'")
            for line in selections.stdoutText.split(separator: "\n", omittingEmptySubsequences: false) where line.hasPrefix(a.name) {
                let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
                if fields.count <= 3 { password = ""; break }
                if fields[1] == question && fields[2] == "password" { password = fields[3]; break }
            }
        }
        return State(answers: answers, password: password)
    }

    /// The answer as debconf shows and stores it: booleans lowercased, lists joined with ", ".
    static func text(_ value: Value, type: ValueType) -> String {
        switch value {
        case .list(let items): return items.map { $0.stringValue ?? $0.jsonString() }.joined(separator: ", ")
        case .bool(let flag): return flag ? "true" : "false"
        case .string(let text): return type == .boolean ? text.lowercased() : text
        default: return value.jsonString()
        }
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        guard let question = a.question, let vtype = a.vtype, let value = a.value else {
            return .unchanged(values: ["msg": "", "current": .dict(observed.answers.mapValues(Value.string))])
        }
        let wanted = Self.text(value, type: vtype)
        var changed = true
        if let shown = observed.answers[question] {
            switch vtype {
            case .boolean: changed = shown.lowercased() != wanted
            case .password: changed = observed.password != wanted
            case .multiselect:
                if case .list(let items) = value {
                    let mine = items.map { $0.stringValue ?? $0.jsonString() }.sorted()
                    changed = mine != shown.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.sorted()
                } else { changed = shown != wanted }
            default: changed = shown != wanted
            }
        }
        guard changed else { return .unchanged(values: ["msg": "", "current": .dict(observed.answers.mapValues(Value.string))]) }
        let previous = observed.answers[question] ?? ""
        let secret = vtype == .password
        let values: OrderedDictionary<String, Value> = ["msg": "", "current": [question: .string(wanted)], "previous": [question: .string(previous)]]
        return Plan(steps: [Step(line: [a.name, question, vtype.rawValue, wanted].joined(separator: " "), unseen: a.unseen, secret: secret)],
                    diffs: [Diff(label: "debconf \(a.name)", before: "\(question): \(previous)\n", after: "\(question): \(wanted)\n", redacted: secret)],
                    values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            try await host.runChecked("debconf-set-selections\(step.unseen ? " -u" : "")", stdin: Data(step.line.utf8),
                                      failure: "debconf-set-selections failed")
        }
        return .changed()
    }
}
