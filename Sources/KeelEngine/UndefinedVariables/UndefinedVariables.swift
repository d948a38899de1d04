import Foundation
import KeelBase
import KeelModel
import KeelModules
import KeelTemplate
import OrderedCollections

/// `keel check`'s variables that are certainly undefined: names a template of the playbook reads that
/// nothing could define, neither the inventory, nor -e, nor the plays, roles and tasks (vars, vars_files,
/// role defaults and vars, register, set_fact, include_vars, loop variables), nor Ansible itself (magic
/// variables, facts), and that the template does not guard (`is defined`, `default`).
///
/// A false report on a valid playbook is worse than a miss, so every definition counts for the whole
/// playbook wherever it is made (a name registered in the last play defines it for the first), and when
/// the playbook can define names nobody can list before it runs (set_fact with a templated key, an
/// include whose target no file matches, a `vars` lookup) nothing is reported for it at all.
struct UndefinedVariables {
    let registry: ModuleRegistry
    let loader: PlaybookLoader
    let templates: TemplateEngine

    /// A template waiting to be read once every definition is known.
    struct Use {
        var text: String
        var origin: WrittenStrings.Origin
        var expression = false
        /// Names this use may read undefined: guarded by its task's or a parent's `when`, loop variables.
        var excused: Set<String>
        /// For the value of a variable: its name and where it is defined. Ansible templates a value only
        /// when it is read, so one that another definition of the same name overrides may never be.
        var definition: (name: String, source: String)?
    }

    /// Every name something defines, with the places that define it.
    var definedBy: [String: Set<String>] = [:]
    var defined: Dictionary<String, Set<String>>.Keys { definedBy.keys }
    var uses: [Use] = []
    /// Why nothing can be certain for this playbook, once something dynamic was found.
    var gaveUp: String?
    var seenFiles = Set<String>()
    var seenRoles = Set<String>()
    var written = WrittenStrings()
    var paths = TemplatedPath()

    init(registry: ModuleRegistry, loader: PlaybookLoader, templates: TemplateEngine) {
        self.registry = registry
        self.loader = loader
        self.templates = templates
    }

    /// The certainly undefined variables of one playbook, as errors located where each name is read.
    static func problems(in playbook: Playbook, inventory: Inventory, extraVars: [String], registry: ModuleRegistry,
                         loader: PlaybookLoader, templates: TemplateEngine) -> [KeelError] {
        var analysis = UndefinedVariables(registry: registry, loader: loader, templates: templates)
        analysis.define(extraVars, by: "-e")
        analysis.defineInventory(inventory, playbook: playbook)
        let topDirectory = ControllerPath.directory(of: playbook.path)
        for play in playbook.plays { analysis.collect(play, topDirectory: topDirectory) }
        return analysis.report()
    }

    // MARK: Definitions that need no task

    mutating func defineInventory(_ inventory: Inventory, playbook: Playbook) {
        var adjacent: [AdjacentVariables] = []
        for directory in Set(playbook.plays.map(\.playbookDirectory) + [ControllerPath.directory(of: playbook.path)]) {
            if let found = try? inventory.loadAdjacentVariables(beside: directory.isEmpty ? "." : directory) { adjacent.append(found) }
        }
        for host in inventory.hostNames + ["localhost"] {
            define(inventory.hostVariables(host, playbookAdjacent: adjacent).keys, by: "inventory")
        }
        // Every group_vars/host_vars file counts, even for a group the inventory does not have yet: group_by
        // and add_host make groups and hosts while the playbook runs, and their files apply then.
        for variables in inventory.adjacentVariables + adjacent {
            for part in ["group_vars", "host_vars"] {
                let directory = variables.directory + "/" + part
                let entries = (FileManager.default.enumerator(atPath: (directory as NSString).resolvingSymlinksInPath)?.allObjects as? [String]) ?? []
                for entry in entries where !entry.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                    let extensionless = !(entry as NSString).lastPathComponent.contains(".")
                    guard extensionless || AdjacentVariables.extensions.contains(where: entry.hasSuffix),
                          let found = try? loader.loadVariables(at: directory + "/" + entry) else { continue }
                    define(found.keys, by: "inventory")
                }
            }
        }
    }

    mutating func giveUp(_ reason: String) {
        if gaveUp == nil { gaveUp = reason }
    }

    // MARK: Walking the playbook

    struct Place {
        var playDirectory: String
        var topDirectory: String
    }

    mutating func collect(_ play: Play, topDirectory: String) {
        let place = Place(playDirectory: play.playbookDirectory, topDirectory: topDirectory)
        for prompt in play.varsPrompt { define([prompt.name], by: "prompt") }
        let excused = guardedNames(play.keywords.when)
        for host in play.hosts { use(host, near: play.location, excused: excused) }
        if let name = play.name { use(name, near: play.location, excused: excused) }
        conditions(play.keywords.when, excused: excused)
        define(vars: play.keywords.vars, near: play.location, by: "play \(play.location)", excused: excused)
        for file in play.varsFiles { defineFromFile(file.alternatives, in: [place.playDirectory, place.topDirectory]) }
        for role in play.roleRuns { collect(role, excused: excused) }
        let nodes = play.preTasks + play.roleRuns.map { .block($0.taskBlock) } + play.tasks + play.postTasks + play.allHandlers
        for node in nodes { collect(node, place, excused: excused) }
    }

    /// A role's own variables: its defaults and vars (each value may read other names), its parameters.
    mutating func collect(_ role: Role, excused inherited: Set<String>) {
        // The entry's `when` guards what the role reads, its defaults too: they are read only if it runs.
        let excused = inherited.union(guardedNames(role.keywords.when))
        define(vars: role.params, near: role.location, by: "parameters " + role.path, excused: excused)
        for dependency in role.dependencies { collect(dependency, excused: excused) }
        guard seenRoles.insert(role.path + "|" + (role.defaultsFrom ?? "") + "|" + (role.varsFrom ?? "")).inserted else { return }
        define(role.defaults.keys, by: "defaults " + role.path)
        define(role.vars.keys, by: "vars " + role.path)
        for (part, from) in [("defaults", role.defaultsFrom), ("vars", role.varsFrom)] {
            for file in Self.roleVariableFiles(role.path, part, from: from) { useValues(ofFile: file, by: part + " " + role.path, excused: excused) }
        }
    }

    mutating func collect(_ node: TaskNode, _ place: Place, excused: Set<String>) {
        switch node {
        case .task(let task):
            collect(task, place, excused: excused)
        case .block(let block):
            var excused = excused.union(guardedNames(block.keywords.when))
            if let role = block.role { define(role) }
            if let role = block.importedRole { collect(role, excused: excused) }
            conditions(block.keywords.when, excused: excused)
            define(vars: block.keywords.vars, near: block.location, by: "block \(block.location)", excused: excused)
            excused.formUnion(block.keywords.vars.keys)
            for inner in block.block + block.rescue + block.always { collect(inner, place, excused: excused) }
        }
    }

    mutating func define(_ role: RoleRef) {
        define(role.defaults.keys, by: "defaults " + role.path)
        define(role.vars.keys, by: "vars " + role.path)
        define(role.params.keys, by: "parameters " + role.path)
    }

    mutating func collect(_ task: Task, _ place: Place, excused inherited: Set<String>) {
        if let role = task.role { define(role) }
        let conditionsOfTask = task.keywords.when + task.changedWhen + task.failedWhen + task.until
        var excused = inherited.union(guardedNames(conditionsOfTask))
        if let register = task.register { define([register], by: "task \(task.location)") }
        if let control = task.loopControl {
            for name in [control.loopVar, control.indexVar].compactMap({ $0 }) {
                if TemplateEngine.containsTemplate(name) { giveUp("a templated loop variable at \(control.location)") }
                define([name], by: "task \(task.location)")
                excused.insert(name)
            }
            if let label = control.label { use(label, near: control.location, excused: excused) }
        }
        define(vars: task.keywords.vars, near: task.location, by: "task \(task.location)", excused: excused)
        if let name = task.name, !Self.madeFromRoleMeta(task) { use(name, near: task.location, excused: excused) }
        conditions(conditionsOfTask, excused: excused)
        if let loop = task.loop { useStrings(in: loop.items, near: loop.location, excused: excused) }
        for text in [task.keywords.delegateTo, task.keywords.becomeUser].compactMap({ $0 }) {
            use(text, near: task.location, excused: excused)
        }
        if let environment = task.keywords.environment { useStrings(in: environment, near: task.location, excused: excused) }
        collectAction(task, place, excused: excused)
    }

    mutating func collectAction(_ task: Task, _ place: Place, excused: Set<String>) {
        switch task.action {
        case "include_tasks":
            useArguments(task, except: [], excused: excused)
            followInclude(task, place, excused: excused)
            return
        case "include_role":
            useArguments(task, except: [], excused: excused)
            followRole(task, place, excused: excused)
            return
        default: break
        }
        if let control = registry.control(for: task.action) {
            // Expressions an action evaluates itself (assert's `that`, debug's `var`) decide what happens
            // when a name is missing (debug prints that it is not defined): they are not read here.
            useArguments(task, except: control.unrenderedArguments, excused: excused)
            switch control.variableDefinitions {
            case .none: break
            case .argumentKeys:
                if task.args["_variable_params"] != nil || task.args["_raw_params"] != nil {
                    giveUp("\(task.writtenAction) with arguments known only when it runs at \(task.location)")
                }
                for key in task.args.keys {
                    if TemplateEngine.containsTemplate(key) { giveUp("\(task.writtenAction) with a templated name at \(task.location)") }
                    define([key], by: "task \(task.location)")
                }
            case .file(let options, let nestedUnder):
                if let nestedUnder, let name = task.args[nestedUnder]?.stringValue {
                    if TemplateEngine.containsTemplate(name) { giveUp("\(task.writtenAction) with a templated name at \(task.location)") }
                    define([name], by: "task \(task.location)")
                } else if let file = options.lazy.compactMap({ task.args[$0]?.stringValue }).first,
                          Set(task.args.keys).isSubset(of: Set(options + [nestedUnder].compactMap { $0 })) {
                    defineFromFile(Self.firstFoundTerms(task, file: file) ?? [file], in: searchPaths(task, place, subdirectory: "vars"))
                } else {
                    giveUp("\(task.writtenAction) of files Keel cannot list at \(task.location)")
                }
            }
            return
        }
        useArguments(task, except: [], excused: excused)
        guard let runner = registry.runner(for: task.action) else {
            // A module Keel does not have may return facts under any name: a role's own, or one named so.
            if task.action.hasSuffix("facts") || task.action.hasSuffix("setup") || task.role.flatMap({ RoleLibrary.module(task.action, in: $0.path) }) != nil {
                giveUp("module '\(task.writtenAction)' may return facts")
            }
            return
        }
        if let source = runner.spec.controllerSource, source.kind == "templates",
           case .string(let src)? = task.args[source.option], !TemplateEngine.containsTemplate(src),
           let file = ControllerFiles(searchPaths: searchPaths(task, place)).find(src, kind: source.kind),
           let written = try? String(contentsOfFile: file, encoding: .utf8) {
            // A first `#jinja2:` line changes how the file is read (other delimiters Keel refuses): without it,
            // the text starts on line 2; a file whose settings Keel cannot apply is left alone.
            var options = templates.options
            guard let text = try? TemplateOverrides.apply(to: written, options: &options, file: file) else { return }
            let path = file.hasPrefix("./") ? String(file.dropFirst(2)) : file
            let line = text == written ? 1 : 2
            uses.append(Use(text: text, origin: .init(file: path, line: line, column: 1, indent: 0), excused: excused))
        }
    }

    // MARK: Uses

    mutating func define<Names: Sequence<String>>(_ names: Names, by source: String) {
        for name in names { definedBy[name, default: []].insert(source) }
    }

    mutating func define(vars: OrderedDictionary<String, Value>, near anchor: SourceLocation, by source: String, excused: Set<String>) {
        for (key, value) in vars {
            if TemplateEngine.containsTemplate(key) { giveUp("a variable with a templated name at \(anchor)") }
            define([key], by: source)
            let before = uses.count
            useStrings(in: value, near: anchor, excused: excused)
            for index in before..<uses.count { uses[index].definition = (key, source) }
        }
    }

    /// The task the loader makes from a role's meta/argument_specs.yml: its name and spec quote the spec's
    /// text (descriptions may show `{{ }}`), and the role's parameters it checks are read where the role is named.
    static func madeFromRoleMeta(_ task: Task) -> Bool {
        ControllerPath.directory(of: task.location.file).hasSuffix("/meta")
    }

    mutating func useArguments(_ task: Task, except skipped: Set<String>, excused: Set<String>) {
        if Self.madeFromRoleMeta(task) { return }
        for (key, value) in task.args where !skipped.contains(key) {
            let anchor = task.argLocations[key] ?? task.argsLocation
            useStrings(in: value, near: anchor, excused: excused)
        }
    }

    mutating func useStrings(in value: Value, near anchor: SourceLocation, excused: Set<String>) {
        switch value {
        case .string(let text): use(text, near: anchor, excused: excused)
        case .list(let items): items.forEach { useStrings(in: $0, near: anchor, excused: excused) }
        case .dict(let pairs):
            for (key, item) in pairs {
                use(key, near: anchor, excused: excused)
                useStrings(in: item, near: anchor, excused: excused)
            }
        default: break
        }
    }

    mutating func use(_ text: String, near anchor: SourceLocation, excused: Set<String>) {
        guard TemplateEngine.containsTemplate(text), let origin = written.origin(of: text, near: anchor) else { return }
        uses.append(Use(text: text, origin: origin, excused: excused))
    }

    /// Every string of a role's defaults or vars file, at its own place in the file.
    mutating func useValues(ofFile file: String, by source: String, excused: Set<String>) {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
              let documents = try? YAMLLoader.loadAll(string: text, file: file) else { return }
        func walk(_ node: YAMLNode, variable: String) {
            switch node.kind {
            case .scalar(.string(let s)) where TemplateEngine.containsTemplate(s) && node.tag != "!unsafe":
                if let origin = written.origin(of: s, near: node.location) {
                    uses.append(Use(text: s, origin: origin, excused: excused, definition: (variable, source)))
                }
            case .mapping(let pairs): pairs.forEach { walk($0.value, variable: variable) }
            case .sequence(let items): items.forEach { walk($0, variable: variable) }
            default: break
            }
        }
        for document in documents {
            for pair in document.pairs ?? [] { walk(pair.value, variable: pair.key) }
        }
    }

    mutating func conditions(_ conditions: [Conditional], excused: Set<String>) {
        for condition in conditions {
            let text = condition.expression
            if TemplateEngine.containsTemplate(text) {
                use(text, near: condition.location, excused: excused)
            } else if !["True", "False"].contains(text), let origin = written.origin(of: text, near: condition.location) {
                var use = Use(text: text, origin: origin, excused: excused)
                use.expression = true
                uses.append(use)
            }
        }
    }

    /// Names a condition guards (`x is defined`, `x | default(...)`): the task expects them missing at times.
    func guardedNames(_ conditions: [Conditional]) -> Set<String> {
        var names = Set<String>()
        for condition in conditions {
            let text = condition.expression
            let template = TemplateEngine.containsTemplate(text)
            if let reads = try? templates.reads(in: text, origin: nil, expression: !template) { names.formUnion(reads.guarded) }
        }
        return names
    }

    // MARK: Reporting

    func report() -> [KeelError] {
        guard gaveUp == nil else { return [] }
        var problems: [KeelError] = []
        var seen = Set<SourceLocation>()
        for use in uses {
            // A template that does not parse is reported by the load-time checks.
            guard let reads = try? templates.reads(in: use.text, origin: nil, expression: use.expression) else { continue }
            if reads.readsByComputedName { return [] }
            if let definition = use.definition, definedBy[definition.name, default: []].contains(where: { $0 != definition.source }) { continue }
            for read in reads.reads {
                let name = read.name
                if defined.contains(name) || KnownVariables.isKnown(name) || use.excused.contains(name) || reads.guarded.contains(name) { continue }
                let location = use.origin.location(line: read.line, column: read.column)
                guard seen.insert(location).inserted else { continue }
                problems.append(KeelError("variable '\(name)' is undefined: nothing defines it", at: location,
                                          expected: "a variable of the inventory, -e, the play, a role, register, set_fact or include_vars, or a guard (is defined, default(...))",
                                          found: "'\(name)'", suggestion: Suggestion.closest(to: name, among: defined.sorted())))
            }
        }
        return problems
    }
}
