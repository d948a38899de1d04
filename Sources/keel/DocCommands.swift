import ArgumentParser
import KeelBase
import KeelModules

struct ModulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "modules", abstract: "List the task modules Keel knows.")

    func run() {
        let registry = StandardModules.registry
        let width = registry.names.map(\.count).max() ?? 0
        for name in registry.names {
            let summary = registry.runners[name]?.documentation.summary ?? registry.controls[name]?.documentation.summary ?? ""
            print(name.padding(toLength: width + 2, withPad: " ", startingAt: 0) + summary)
        }
    }
}

struct DocCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "doc", abstract: "Show a module's arguments, defaults and examples.")

    @Argument(help: "Module name, short or fully qualified (ansible.builtin.copy).")
    var module: String

    func run() throws {
        let registry = StandardModules.registry
        if let control = registry.control(for: module) {
            print(ModuleDocRenderer.render(control), terminator: "")
            return
        }
        guard let runner = registry.runner(for: module) else {
            let hint = Suggestion.closest(to: module, among: registry.names).map { " (did you mean '\($0)'?)" } ?? ""
            throw ValidationError("unknown module '\(module)'\(hint); `keel modules` lists them")
        }
        print(ModuleDocRenderer.render(runner), terminator: "")
    }
}
