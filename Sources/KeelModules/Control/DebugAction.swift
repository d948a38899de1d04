import Foundation
import KeelBase
import OrderedCollections

/// `debug`: print a message or a variable's value.
public struct DebugAction: ControlAction {
    public static let name = "debug"
    public static let spec = ArgumentSpec([
        OptionSpec("msg", .raw, help: "The message to print (default 'Hello world!')."),
        OptionSpec("var", .string, help: "A variable name or expression to print instead of msg."),
        OptionSpec("verbosity", .int, default: 0, help: "Only print with at least this many -v."),
    ], mutuallyExclusive: [["msg", "var"]])
    public static let documentation = ModuleDocumentation(summary: "Print a message or a variable during the run",
        examples: "- debug: msg=\"{{ ansible_facts.hostname }} runs {{ ansible_facts.distribution }}\"\n- debug: var=result.stdout_lines")
    public static let unrenderedArguments: Set<String> = ["var"]

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        if let verbosity = a["verbosity"]?.intValue, verbosity > context.verbosity {
            return ControlOutcome(skipped: true, message: "verbosity threshold not met")
        }
        if let name = a["var"]?.stringValue {
            let value: Value
            do { value = try context.evaluate(name) } catch { value = .string("VARIABLE IS NOT DEFINED!") }
            return ControlOutcome(message: nil, values: [name: value], display: true)
        }
        let message = a["msg"] ?? "Hello world!"
        return ControlOutcome(message: message.stringValue ?? message.jsonString(), values: ["msg": message], display: true)
    }
}

/// `set_fact`: host variables for the rest of the run.
public struct SetFactAction: ControlAction {
    public static let name = "set_fact"
    public static let spec = ArgumentSpec([OptionSpec("cacheable", .bool, default: false,
        help: "Also make the variables facts (ansible_facts.NAME), as Ansible does for its fact cache; Keel keeps no fact cache between runs.")])
    public static let documentation = ModuleDocumentation(summary: "Set host variables for the rest of the run",
        examples: "- set_fact:\n    release_dir: \"/srv/app/releases/{{ release }}\"")
    public static let acceptsAnyArguments = true

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        var facts = a
        let cacheable = facts.removeValue(forKey: "cacheable").map(Self.isTrue) ?? false
        if facts.isEmpty { return ControlOutcome(failed: true, message: "set_fact needs at least one variable") }
        for key in facts.keys where !key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) || key.first?.isNumber == true {
            return ControlOutcome(failed: true, message: "the variable name '\(key)' is not valid")
        }
        return ControlOutcome(values: ["ansible_facts": .dict(facts), "_ansible_facts_cacheable": .bool(cacheable)],
                              effects: cacheable ? [.setFacts(facts), .cacheFacts(facts)] : [.setFacts(facts)])
    }

    /// set_fact takes any keys, so `cacheable` arrives unchecked: a boolean or a YAML/Ansible truth word.
    static func isTrue(_ value: Value) -> Bool {
        switch value {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .string(let s): return ["yes", "true", "on", "1", "y"].contains(s.lowercased())
        default: return false
        }
    }
}

/// `assert`: fail unless every expression holds.
public struct AssertAction: ControlAction {
    public static let name = "assert"
    public static let spec = ArgumentSpec([
        // Not `.list`: a list option splits a string at commas, and Ansible's assert takes a string as ONE
        // expression (`_check_type_list_strict`), which may well hold commas (`match('[a-z]{0,50}')`).
        OptionSpec("that", .raw, required: true, help: "Expressions that must all be true (a list, or one expression as a string)."),
        OptionSpec("fail_msg", .raw, aliases: ["msg"], help: "Message when an expression is false."),
        OptionSpec("success_msg", .raw, help: "Message when all hold."),
        OptionSpec("quiet", .bool, default: false, help: "Less output."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Fail unless conditions hold",
        examples: "- assert:\n    that:\n      - ansible_facts.os_family == 'Debian'\n      - port | int > 1024\n    fail_msg: unsupported host")
    public static let unrenderedArguments: Set<String> = ["that"]

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        for condition in a["that"].map({ $0.listValue ?? [$0] }) ?? [] {
            let expression: String
            switch condition {
            case .string(let s): expression = s
            case .bool(let b): expression = b ? "True" : "False"
            default: expression = condition.jsonString()
            }
            if !(try context.isTrue(expression)) {
                let message = a["fail_msg"].map { $0.stringValue ?? $0.jsonString() } ?? "Assertion failed"
                return ControlOutcome(failed: true, message: message, values: ["assertion": .string(expression), "evaluated_to": false])
            }
        }
        let message = a["success_msg"].map { $0.stringValue ?? $0.jsonString() } ?? "All assertions passed"
        return ControlOutcome(message: message)
    }
}

/// `fail`: fail the host with a message.
public struct FailAction: ControlAction {
    public static let name = "fail"
    public static let spec = ArgumentSpec([OptionSpec("msg", .raw, default: "Failed as requested from task", help: "The failure message.")])
    public static let documentation = ModuleDocumentation(summary: "Fail with a message",
        examples: "- fail: msg=\"unsupported distribution {{ ansible_facts.distribution }}\"\n  when: ansible_facts.os_family not in ['Debian', 'RedHat']")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        let message = a["msg"].map { $0.stringValue ?? $0.jsonString() } ?? "Failed as requested from task"
        return ControlOutcome(failed: true, message: message)
    }
}

/// `meta`: steer the run (flush_handlers, end_play, end_host, ...).
public struct MetaAction: ControlAction {
    public static let name = "meta"
    static let directives: [Value] = ["flush_handlers", "end_play", "end_host", "end_batch", "clear_facts", "clear_host_errors",
                                      "noop", "refresh_inventory", "reset_connection", "end_role"]
    public static let spec = ArgumentSpec([OptionSpec("_raw_params", .string, required: true, choices: directives, help: "The directive.")],
                                          acceptsFreeForm: true)
    public static let documentation = ModuleDocumentation(summary: "Steer the run: run handlers now, end the play or a host",
        examples: "- meta: flush_handlers\n- meta: end_host\n  when: skip_this_host | default(false)")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        let directive = a["_raw_params"]?.stringValue ?? "noop"
        return ControlOutcome(effects: [.meta(directive)])
    }
}

/// `include_vars`: variables from a file, for the rest of the run.
public struct IncludeVarsAction: ControlAction {
    public static let name = "include_vars"
    public static let spec = ArgumentSpec([
        OptionSpec("_raw_params", .string, help: "The file (free form)."),
        OptionSpec("file", .path, help: "The YAML or JSON file to read."),
        OptionSpec("name", .string, help: "Put the variables under this one name instead of at the top."),
    ], mutuallyExclusive: [["_raw_params", "file"]], acceptsFreeForm: true)
    public static let documentation = ModuleDocumentation(summary: "Load variables from a file",
        examples: "- include_vars: \"{{ ansible_facts.os_family }}.yml\"\n- include_vars:\n    file: secrets.yml\n    name: secrets")
    public static let variableDefinitions = VariableDefinitions.file(options: ["file", "_raw_params"], nestedUnder: "name")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        guard let file = a["file"]?.stringValue ?? a["_raw_params"]?.stringValue else {
            return ControlOutcome(failed: true, message: "include_vars needs a file")
        }
        var variables = try context.loadVariables(file)
        if let name = a["name"]?.stringValue { variables = [name: .dict(variables)] }
        return ControlOutcome(values: ["ansible_facts": .dict(variables)], effects: [.includeVars(variables)])
    }
}

/// `include_tasks`: run a task file now (dynamic: decided per host at run time).
public struct IncludeTasksAction: ControlAction {
    public static let name = "include_tasks"
    public static let spec = ArgumentSpec([
        OptionSpec("_raw_params", .string, help: "The file (free form)."),
        OptionSpec("file", .path, help: "The task file."),
        OptionSpec("apply", .dict, help: "Keywords for the included tasks (accepted, not applied yet)."),
    ], mutuallyExclusive: [["_raw_params", "file"]], acceptsFreeForm: true)
    public static let documentation = ModuleDocumentation(summary: "Run the tasks of a file, decided at run time",
        examples: "- include_tasks: \"setup-{{ ansible_facts.os_family }}.yml\"")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        guard let file = a["file"]?.stringValue ?? a["_raw_params"]?.stringValue else {
            return ControlOutcome(failed: true, message: "include_tasks needs a file")
        }
        return ControlOutcome(effects: [.includeTasks(file: file, vars: [:])])
    }
}

/// `include_role`: run a role now (dynamic).
public struct IncludeRoleAction: ControlAction {
    public static let name = "include_role"
    public static let spec = ArgumentSpec([
        OptionSpec("name", .string, required: true, help: "The role."),
        OptionSpec("tasks_from", .string, help: "Task file of the role to run instead of main."),
        OptionSpec("vars_from", .string, help: "Vars file of the role to load instead of main."),
        OptionSpec("defaults_from", .string, help: "Defaults file of the role to load instead of main."),
        OptionSpec("handlers_from", .string, help: "Accepted for compatibility."),
        OptionSpec("public", .bool, default: false, help: "Accepted for compatibility."),
        OptionSpec("apply", .dict, help: "Accepted, not applied yet."),
        OptionSpec("allow_duplicates", .bool, default: true, help: "Accepted for compatibility."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Run a role, decided at run time",
        examples: "- include_role:\n    name: app\n    tasks_from: deploy")

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        ControlOutcome(effects: [.includeRole(name: a["name"]?.stringValue ?? "", tasksFrom: a["tasks_from"]?.stringValue,
                                              varsFrom: a["vars_from"]?.stringValue, defaultsFrom: a["defaults_from"]?.stringValue, vars: [:])])
    }
}

/// `setup` / `gather_facts` as a task.
public struct GatherFactsAction: ControlAction {
    public static let name = "setup"
    public static let aliases = ["gather_facts"]
    public static let spec = ArgumentSpec([
        OptionSpec("gather_subset", .list(.string), default: ["all"],
                   help: "Subsets to gather: " + FactSelection.choices.joined(separator: ", ")
                       + ". The selection starts from min (as in ansible-core); NAME adds a subset, `!NAME` leaves one out, "
                       + "`!all` keeps only min, `!min` drops min: `!all,!min,network` gathers only network, and a lone `!hardware` "
                       + "leaves min (write `all,!hardware` for everything but hardware). Accepted but gathering nothing (they need "
                       + "Python, facter, ohai or more tools): " + FactSelection.accepted.joined(separator: ", ")
                       + ". `mounts` is Keel's own name for the mounts of hardware."),
        OptionSpec("filter", .list(.string), default: [],
                   help: "Shell-style globs on the first-level fact names (ansible_*_mb, ansible_eth[0-2]); only matching facts are set."),
        OptionSpec("gather_timeout", .int, default: 10, help: "Accepted for compatibility: the facts come in one round trip."),
        OptionSpec("fact_path", .string, help: "Accepted for compatibility: local facts (facts.d) are not read."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Gather facts about the host (one round trip, no Python)",
        examples: """
            - setup:
                gather_subset: ['!all', 'network']
            - setup:
                filter: ['ansible_*_mb', 'ansible_distribution*']
            """,
        deviations: ["Facts come from /proc, /sys and coreutils, not Python: no ansible_python, ansible_devices, ansible_local or "
                     + "ansible_ssh_host_key_*; see docs/engine.md for the subsets and their facts."])

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        let subset = a["gather_subset"]?.listValue?.compactMap(\.stringValue) ?? ["all"]
        let filter = a["filter"]?.listValue?.compactMap(\.stringValue) ?? []
        do { _ = try FactSelection(subset) } catch let error as KeelError {
            return ControlOutcome(failed: true, message: error.message + (error.expected.map { " (expected one of: \($0))" } ?? ""))
        }
        return ControlOutcome(effects: [.gatherFacts(subset: subset, filter: filter)])
    }
}

/// `pause`: wait (never prompts: runs are non-interactive).
public struct PauseAction: ControlAction {
    public static let name = "pause"
    public static let spec = ArgumentSpec([
        OptionSpec("seconds", .int, help: "Seconds to wait."),
        OptionSpec("minutes", .int, help: "Minutes to wait."),
        OptionSpec("prompt", .string, help: "Shown, not waited for: Keel runs are non-interactive."),
        OptionSpec("echo", .bool, default: true, help: "Accepted for compatibility."),
    ])
    public static let documentation = ModuleDocumentation(summary: "Wait a while", deviations: ["Never waits for a key press."])

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        let minutes = a["minutes"]?.intValue
        let seconds = (a["seconds"]?.intValue ?? 0) + 60 * (minutes ?? 0)
        // Waited and measured on one monotonic clock: measured with the wall clock, a sleep could come out a
        // hair short of what was asked (0.9999 s), and "Paused for 1.0 seconds" would read 0.99.
        let clock = ContinuousClock()
        let start = Date(), began = clock.now
        if seconds > 0 { try await clock.sleep(until: began + .seconds(seconds)) }
        let waited = clock.now - began
        let elapsed = Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18
        let stop = start.addingTimeInterval(elapsed)
        // Ansible's result: how long it paused, in the unit asked for, rounded to hundredths.
        let shown = minutes != nil && a["seconds"] == nil ? "\((elapsed / 60 * 100).rounded() / 100) minutes" : "\((elapsed * 100).rounded() / 100) seconds"
        return ControlOutcome(message: a["prompt"]?.stringValue, values: [
            "rc": 0, "stderr": "", "stdout": .string("Paused for \(shown)"), "start": .string(Self.timestamp(start)),
            "stop": .string(Self.timestamp(stop)), "delta": .int(Int(elapsed)), "echo": a["echo"] ?? true, "user_input": "",
        ])
    }

    /// Local time as Python's datetime prints it: 2024-05-01 12:00:00.123456.
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return formatter.string(from: date)
    }
}
