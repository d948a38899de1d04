import Foundation
import KeelBase
import KeelTransport

/// The connection a HostContext carries for a module that runs on the controller only
/// (`needsConnection == false`): the engine did not connect, so any use is a module's mistake and says so.
public final class ControllerOnlyConnection: Connection {
    public let hostName: String
    let module: String

    public init(hostName: String, module: String) {
        self.hostName = hostName
        self.module = module
    }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        throw KeelError("module '\(module)' runs on the controller only (needsConnection is false) but tried to run a command on \(hostName)")
    }

    public func close() async {}
}
