import ArgumentParser
import Foundation
import KeelTransport

/// `keel connections`: the connection masters that --control-persist left running (like `ssh -O check`),
/// and `--stop` to end them (like `ssh -O exit`).
struct ConnectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connections",
        abstract: "List the SSH connection masters kept by --control-persist; --stop ends them.")

    @Flag(help: "End every master (their SSH sessions close).")
    var stop = false

    func run() throws {
        let directory = ConnectionPersistence.defaultDirectory
        let masters = stop ? ConnectionMasters.stopAll(directory: directory) : ConnectionMasters.list(directory: directory)
        if masters.isEmpty {
            print("no connection masters in \(directory)")
            return
        }
        for master in masters {
            let limit = master.persistSeconds.map { "\(Self.seconds($0))" } ?? "none"
            let state = stop ? "stopped" : "idle \(Self.seconds(master.idleSeconds)) of \(limit)"
            print("\(master.target)  pid \(master.pid)  \(state)")
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? "\(Int(value)) s" : String(format: "%.1f s", value)
    }
}
