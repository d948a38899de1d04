import ArgumentParser
import Foundation
import KeelBase
import KeelLab

/// `keel lab`: disposable test hosts on this machine (see docs/lab.md).
struct LabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lab",
        abstract: "Disposable Linux test hosts on this machine (needs root).",
        discussion: """
            Hosts live in their own network namespaces on the bridge keel-lab0 (198.18.0.0/15) and never \
            reach beyond it. State, keys, known_hosts and an Ansible inventory are kept in \
            /var/lib/keel/lab (KEEL_LAB_DIR overrides).
            """,
        subcommands: [Up.self, Down.self, List.self, SSH.self]
    )

    struct Up: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make sure hosts exist and run (running hosts are left alone).",
            discussion: "`keel lab up 3` gives lab1, lab2, lab3; `keel lab up --name web1 --name web2` named hosts.")

        @Argument(help: "Bring up lab1 ... labN.")
        var count: Int?

        @Option(name: .customLong("name"), help: "A host to bring up by name (repeatable).")
        var names: [String] = []

        @Flag(help: "Boot Debian bookworm with systemd instead of a light host (the first one builds a base tree, 1-2 min).")
        var systemd = false

        @Flag(help: "With --systemd: new hosts get cgroup v1 controllers of their own, so container resource limits (memory, cpus, pids) are enforced (docs/lab.md).")
        var cgroupControllers = false

        func validate() throws {
            if cgroupControllers && !systemd { throw ValidationError("--cgroup-controllers needs --systemd") }
            if count == nil && names.isEmpty { throw ValidationError("give a number of hosts or --name NAME") }
            if let count, count < 1 { throw ValidationError("the number of hosts must be at least 1") }
        }

        func run() throws {
            let numbered = (0..<(count ?? 0)).map { "lab\($0 + 1)" }
            let lab = Lab()
            let started = Date()
            let flavor: LabFlavor = systemd ? .systemd : .light
            try reportingErrors { try LabRequirements.check(flavor: flavor) }
            let hosts = try reportingErrors { try lab.up(names: numbered + names, flavor: flavor, cgroupControllers: cgroupControllers) }
            printTable(hosts.map { [$0.name, $0.address, $0.flavor.rawValue, "running"] })
            print(String(format: "%d host(s) up in %.1f s; inventory: %@", hosts.count,
                         Date().timeIntervalSince(started), lab.inventoryPath))
        }
    }

    struct Down: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove hosts: their processes, mounts, namespaces and files (all hosts if none is named).")

        @Argument(help: "Hosts to remove.")
        var names: [String] = []

        func run() throws {
            let lab = Lab()
            let known = try reportingErrors { try lab.list().map(\.name) }
            for name in names where !known.contains(name) {
                throw reported(KeelError("lab: there is no lab host named '\(name)'", found: name,
                                         suggestion: Suggestion.closest(to: name, among: known)))
            }
            try reportingErrors { try lab.down(names: names.isEmpty ? nil : names) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show each host's name, address, flavor and state.")

        func run() throws {
            let lab = Lab()
            let rows = try reportingErrors {
                try lab.list().map { host in
                    [host.name, host.address, host.flavor.rawValue,
                     (try? lab.isRunning(host.name)) == true ? "running" : "dead"]
                }
            }
            printTable(rows)
        }
    }

    struct SSH: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Log in to a host as root with the system ssh, the lab's key and its known_hosts.",
            discussion: "`keel lab ssh lab1 -- uptime` runs one command.")

        @Argument(help: "The host.")
        var name: String

        @Argument(parsing: .postTerminator, help: "A command to run instead of a login shell.")
        var command: [String] = []

        func run() throws {
            let lab = Lab()
            let hosts = try reportingErrors { try lab.list() }
            guard let host = hosts.first(where: { $0.name == name }) else {
                throw reported(KeelError("lab: there is no lab host named '\(name)'", found: name,
                                         suggestion: Suggestion.closest(to: name, among: hosts.map(\.name))))
            }
            let arguments = ["ssh", "-i", lab.clientKeyPath, "-o", "IdentitiesOnly=yes",
                             "-o", "UserKnownHostsFile=\(lab.knownHostsPath)", "-o", "StrictHostKeyChecking=yes",
                             "-l", "root", host.address] + command
            let cArguments = arguments.map { strdup($0) } + [nil]
            execvp("ssh", cArguments)
            throw reported(KeelError("lab: cannot run ssh: \(String(cString: strerror(errno)))"))
        }
    }
}

/// Prints a KeelError the way every Keel command does and exits non-zero, instead of ArgumentParser's
/// generic "Error: ..." line.
private func reportingErrors<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as KeelError {
        throw reported(error)
    }
}

private func reported(_ error: KeelError) -> ExitCode {
    FileHandle.standardError.write(Data((error.description + "\n").utf8))
    return ExitCode.failure
}

/// Left-aligned columns: NAME ADDRESS FLAVOR STATE.
private func printTable(_ rows: [[String]]) {
    let all = [["NAME", "ADDRESS", "FLAVOR", "STATE"]] + rows
    let widths = (0..<4).map { column in all.map { $0[column].count }.max() ?? 0 }
    for row in all {
        let cells = row.enumerated().map { index, cell in
            index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
        }
        print(cells.joined(separator: "  "))
    }
}
