import ArgumentParser

@main
struct Keel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Converge hosts to the state your Ansible playbooks describe, over SSH, fast.",
        version: KeelVersion.string,
        subcommands: [PlayCommand.self, RunCommand.self, InventoryCommand.self, ModulesCommand.self, DocCommand.self, LabCommand.self, VersionCommand.self]
    )
}
