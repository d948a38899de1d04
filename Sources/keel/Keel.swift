import ArgumentParser
import Foundation

@main
struct Keel: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Converge hosts to the state your Ansible playbooks describe, over SSH, fast.",
        version: KeelVersion.string,
        subcommands: [PlayCommand.self, CheckCommand.self, ApplyCommand.self, DriftCommand.self, HistoryCommand.self, RunCommand.self, InventoryCommand.self, ConfigCommand.self, VaultCommand.self, ModulesCommand.self, DocCommand.self, LabCommand.self, VersionCommand.self, ConnectionsCommand.self, ConnectionMasterCommand.self]
    )

    /// Refuses arguments that are not UTF-8 before parsing (a usage error: exit 1), then runs as usual.
    static func main() async {
        // A remote or local command that exits before reading all its input must fail its task, not kill
        // keel: a write to its closed pipe returns EPIPE instead of raising SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        if let problem = RawArguments.firstInvalid() {
            FileHandle.standardError.write(Data((problem + "\n").utf8))
            Foundation.exit(1)
        }
        await main(nil)
    }
}
