import ArgumentParser
import Foundation
import KeelTransport

/// `keel connection-master`: the background process a run starts to keep a host's SSH login for later
/// runs (ConnectionMaster). Hidden: only Keel itself starts it, detached, with the target to log in to in
/// KEEL_MASTER_TARGET (never a password: targets with one do not get a master).
struct ConnectionMasterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connection-master",
        abstract: "Serve one host's SSH session on a control socket (started by keel runs with --control-persist).",
        shouldDisplay: false)

    @Option(help: "The control socket to listen on.")
    var socket: String

    @Option(help: "Seconds without a client before exiting, or 'none'.")
    var persist: String

    func run() async throws {
        guard let target = ProcessInfo.processInfo.environment["KEEL_MASTER_TARGET"] else {
            throw ValidationError("connection-master is started by keel runs (KEEL_MASTER_TARGET is not set)")
        }
        let idle: Double?
        if persist == "none" { idle = nil } else {
            guard let seconds = Double(persist), seconds > 0 else { throw ValidationError("--persist takes seconds or 'none', not '\(persist)'") }
            idle = seconds
        }
        let status = await ConnectionMaster.serve(targetJSON: Data(target.utf8), socketPath: socket, idleSeconds: idle)
        throw ExitCode(status)
    }
}
