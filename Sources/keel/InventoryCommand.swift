import ArgumentParser
import Foundation
import KeelBase
import KeelModel

/// `keel inventory`: shows an inventory the way `ansible-inventory` does, so either tool's output can be
/// compared with the other's.
struct InventoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inventory",
        abstract: "Show an inventory: its groups and hosts (--list, --graph) or one host's variables (--host).",
        discussion: """
        Reads Ansible inventories (INI or YAML files, directories of them, group_vars/ and host_vars/ \
        beside them) exactly as Ansible does. Output matches `ansible-inventory`: --list prints JSON \
        with `_meta.hostvars`, --graph prints the group tree.
        """
    )

    @Option(name: [.short, .customLong("inventory")], help: ArgumentHelp("An inventory file, directory or comma-separated host list; repeat to merge several.", valueName: "INV"))
    var inventories: [String] = []

    @Flag(help: "Print every group and host as JSON, like `ansible-inventory --list`.")
    var list = false

    @Flag(help: "Print the group tree, like `ansible-inventory --graph`.")
    var graph = false

    @Option(help: ArgumentHelp("Print one host's variables as JSON.", valueName: "NAME"))
    var host: String?

    @Option(name: [.short, .customLong("limit")], help: ArgumentHelp("Only these hosts (a host pattern, or @file with one host per line).", valueName: "PATTERN"))
    var limit: String?

    @Option(name: .customLong("playbook-dir"), help: ArgumentHelp("Also read group_vars/ and host_vars/ beside this playbook directory.", valueName: "DIR"))
    var playbookDirectory: String?

    @Argument(help: ArgumentHelp("With --graph: the group to start from.", valueName: "GROUP"))
    var group: String?

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    func validate() throws {
        let modes = [list, graph, host != nil].filter { $0 }.count
        if modes == 0 { throw ValidationError("choose one of --list, --graph or --host NAME") }
        if modes > 1 { throw ValidationError("only one of --list, --graph or --host can be used at a time") }
        if group != nil && !graph { throw ValidationError("a GROUP argument only goes with --graph") }
    }

    func run() throws {
        // ansible.cfg's inventory (or ANSIBLE_INVENTORY) when -i is not given, as ansible-inventory.
        let config = try AnsibleConfigLoader.load()
        let sources = inventories.isEmpty ? config.list("DEFAULT_HOST_LIST") ?? [] : inventories
        guard !sources.isEmpty else { throw ValidationError("give an inventory with -i INV (or ansible.cfg's inventory)") }
        do {
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            let inventory = try Inventory.load(sources: sources)
            for warning in inventory.warnings { printError("warning: \(warning)") }
            let playbookAdjacent = try playbookDirectory.map { [try inventory.loadAdjacentVariables(beside: $0)] } ?? []
            // Vaulted values are shown masked, as everywhere Keel prints (ansible-inventory shows the ciphertext).
            if list {
                print(SecretRedactor.shared.redact(try inventory.listing(limit: limit, playbookAdjacent: playbookAdjacent).prettyJSON()))
            } else if graph {
                print(try inventory.graph(from: group ?? "all"))
            } else if let host {
                print(SecretRedactor.shared.redact(try inventory.hostListing(host, playbookAdjacent: playbookAdjacent).prettyJSON()))
            }
        } catch let error as KeelError {
            printError(error.description)
            throw ExitCode.failure
        }
    }

    private func printError(_ text: String) {
        var standardError = StandardError()
        print(text, to: &standardError)
    }
}

/// Writes to stderr, for warnings and errors that must not mix with the JSON on stdout.
struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        FileHandle.standardError.write(Data(string.utf8))
    }
}
