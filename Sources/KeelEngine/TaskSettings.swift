import Foundation
import KeelBase
import KeelModel
import KeelTransport
import OrderedCollections

/// How one task runs on one host, decided once before it runs and used everywhere after: the module's
/// mode, the `ansible_check_mode` the task's templates see, the report, the connection and become.
/// Precedence is Ansible's: a host's connection variables (ansible_user, ansible_become_user, ...) win
/// over the play/block/task keywords (remote_user, become_user, ...), which win over the command line.
struct TaskSettings: Sendable {
    /// check_mode and diff: decided before `when`, which may read ansible_check_mode.
    struct Mode: Sendable, Equatable {
        var check: Bool
        var diff: Bool
    }

    /// How to reach the target and act there.
    struct Access: Sendable {
        var connection: HostConnectionSettings
        /// nil when the task does not become.
        var become: Become?
    }

    var mode: Mode
    var environment: [String: String]
    /// The host whose connection runs the module: delegate_to's, or the task's own host.
    var target: String
    /// The `timeout` keyword: seconds the task may take before it is stopped and fails.
    var timeout: Int?
    /// Resolved with the rest, but its errors (a port of 99999, a connection variable that fails to
    /// render) fail only a task that connects: debug or set_fact on such a host still run, as in Ansible.
    private var accessResult: Result<Access, any Error>

    /// The connection settings and become, or the error that makes them unusable.
    var access: Access {
        get throws { try accessResult.get() }
    }

    /// check_mode / diff from the keywords (task over block over play, inherited), then the command line.
    /// A templated value that is not a boolean fails the task, never silently falls back.
    static func mode(_ keywords: Keywords, scope: VariableScope, options: RunOptions, at location: SourceLocation?) throws -> Mode {
        Mode(check: try boolean(keywords.checkMode, "check_mode", scope, location) ?? options.checkMode,
             diff: try boolean(keywords.diff, "diff", scope, location) ?? options.diffMode)
    }

    /// The scope the task's templates see: ansible_check_mode / ansible_diff_mode as this task runs.
    static func scope(_ scope: VariableScope, with mode: Mode) -> VariableScope {
        scope.adding(.taskVars, [:], magic: ["ansible_check_mode": .bool(mode.check), "ansible_diff_mode": .bool(mode.diff)])
    }

    /// Everything else, for `host` in `play`, with `scope` the task's (or the play's) variables.
    static func resolve(_ keywords: Keywords, mode: Mode, host: String, scope: VariableScope, play: PlayScope,
                        run: RunContext, at location: SourceLocation?) throws -> TaskSettings {
        let target = try keywords.delegateTo.map { try scope.renderString($0, origin: location) } ?? host
        let access = Result { () throws -> Access in
            var variables: OrderedDictionary<String, Value>
            if keywords.delegateTo != nil {
                // The delegate's own inventory variables, as written (as before: they are not rendered).
                variables = run.inventory.hostNames.contains(target) ? run.inventory.hostVariables(target) : [:]
                if target == "localhost" || target == "127.0.0.1", variables["ansible_connection"] == nil { variables["ansible_connection"] = "local" }
            } else {
                variables = try play.connectionVariables(for: host, keywords: keywords, scope: scope)
            }
            // become variables are connection variables: a delegated task takes the delegate's, as in Ansible.
            return Access(connection: try run.connectionSettings(for: target, variables: variables),
                          become: try become(keywords, variables: variables, scope: scope, options: run.options, at: location))
        }
        return TaskSettings(mode: mode, environment: try environment(keywords, scope: scope, at: location), target: target,
                            timeout: try timeout(keywords, scope: scope, at: location), accessResult: access)
    }

    /// become and its user, method, flags and exe: the host's variables over the keywords over the command line.
    static func become(_ keywords: Keywords, variables: OrderedDictionary<String, Value>, scope: VariableScope, options: RunOptions,
                       at location: SourceLocation?) throws -> Become? {
        func variable(_ names: String...) throws -> String? {
            for name in names {
                guard let value = variables[name], value != .null else { continue }
                if let text = value.stringValue { return text }
                throw KeelError("\(name) must be a string, found \(value.jsonString())", at: location)
            }
            return nil
        }
        func keyword(_ text: String?) throws -> String? { try text.map { try scope.renderString($0, origin: location) } }
        let enabled: Bool
        if let value = variables["ansible_become"], value != .null {
            guard let flag = boolValue(value) else {
                throw KeelError("ansible_become must be a boolean, found '\(value.stringValue ?? value.jsonString())'", at: location)
            }
            enabled = flag
        } else {
            enabled = try boolean(keywords.become, "become", scope, location) ?? options.become
        }
        guard enabled else { return nil }
        let user = try variable("ansible_become_user") ?? keyword(keywords.becomeUser) ?? options.becomeUser ?? "root"
        let written = try variable("ansible_become_method") ?? keyword(keywords.becomeMethod) ?? options.becomeMethod ?? "sudo"
        let method = written.hasPrefix("ansible.builtin.") ? String(written.dropFirst("ansible.builtin.".count)) : written
        guard method == "sudo" || method == "su" else {
            throw KeelError("become_method '\(written)' is not supported (sudo or su)", at: location)
        }
        return Become(user: user, method: method, flags: try variable("ansible_become_flags") ?? keyword(keywords.becomeFlags),
                      exe: try variable("ansible_become_exe") ?? keyword(keywords.becomeExe))
    }

    static func environment(_ keywords: Keywords, scope: VariableScope, at location: SourceLocation?) throws -> [String: String] {
        guard let raw = keywords.environment else { return [:] }
        var result: [String: String] = [:]
        func add(_ value: Value) throws {
            guard case .dict(let d) = value else {
                throw KeelError("environment must be a mapping of names to values, found \(value.jsonString())", at: location)
            }
            for (k, v) in d { result[k] = v.stringValue ?? v.jsonString() }
        }
        let rendered = try scope.render(raw)
        if case .list(let items) = rendered { try items.forEach(add) } else { try add(rendered) }
        return result
    }

    static func timeout(_ keywords: Keywords, scope: VariableScope, at location: SourceLocation?) throws -> Int? {
        switch keywords.timeout {
        case nil: return nil
        case .value(let seconds)?:
            guard seconds >= 0 else { throw KeelError("timeout must be a number of seconds, found \(seconds)", at: location) }
            return seconds == 0 ? nil : seconds
        case .template(let text)?:
            let value = try scope.render(.string(text))
            guard let seconds = value.intValue ?? value.stringValue.flatMap({ Int($0.trimmingCharacters(in: .whitespaces)) }), seconds >= 0 else {
                throw KeelError("timeout must be a number of seconds, found '\(value.stringValue ?? value.jsonString())'", at: location)
            }
            return seconds == 0 ? nil : seconds
        }
    }

    /// A boolean keyword, literal or templated. Ansible's spellings (yes/no, on/off, 1/0) count; anything
    /// else is an error naming the keyword and what it rendered to.
    static func boolean(_ value: Templatable<Bool>?, _ name: String, _ scope: VariableScope, _ location: SourceLocation?) throws -> Bool? {
        switch value {
        case .value(let b)?: return b
        case .template(let text)?:
            let rendered = try scope.render(.string(text), origin: location)
            guard let flag = boolValue(rendered) else {
                throw KeelError("\(name) must be a boolean, but '\(text)' rendered to '\(rendered.stringValue ?? rendered.jsonString())'", at: location)
            }
            return flag
        case nil: return nil
        }
    }

    /// Ansible's boolean words, and an empty text as false, as a condition reads it.
    static func boolValue(_ value: Value) -> Bool? {
        if case .string(let s) = value, s.trimmingCharacters(in: .whitespaces).isEmpty { return false }
        return value.ansibleBool
    }
}
