import ArgumentParser

// Placeholder: the inventory language work replaces this file with `keel inventory --list/--graph`.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inventory", abstract: "Show an inventory.")
    func run() throws { throw ValidationError("not built yet") }
}
