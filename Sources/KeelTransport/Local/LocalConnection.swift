import Foundation

/// `connection: local`: scripts run with /bin/sh on the controller itself.
public final class LocalConnection: Connection, RawCommandRunner, @unchecked Sendable {
    // @unchecked: all stored properties are immutable; `privilege` is an actor.
    public let hostName: String
    private let privilege: PrivilegeEscalation

    public init(hostName: String = "localhost", becomePassword: String? = nil) {
        self.hostName = hostName
        self.privilege = PrivilegeEscalation(hostName: hostName, loginUser: NSUserName(), password: becomePassword)
    }

    public func run(_ script: String, stdin: Data?, become: Become?) async throws -> CommandResult {
        if let become {
            let (command, input) = try await privilege.wrap(script, stdin: stdin, become: become, using: self)
            return try await runRaw(command, stdin: input)
        }
        return try await LocalConnection.spawn(arguments: ["-c", script], stdin: stdin)
    }

    func runRaw(_ command: String, stdin: Data?) async throws -> CommandResult {
        try await LocalConnection.spawn(arguments: ["-c", command], stdin: stdin)
    }

    public func close() async {}

    /// Runs /bin/sh with the arguments; stdin is written and both outputs drained concurrently so a
    /// chatty command cannot deadlock on a full pipe.
    static func spawn(arguments: [String], stdin: Data?) async throws -> CommandResult {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                do {
                    continuation.resume(returning: try spawnBlocking(arguments: arguments, stdin: stdin))
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    private static func spawnBlocking(arguments: [String], stdin: Data?) throws -> CommandResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = arguments
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let group = DispatchGroup()
        nonisolated(unsafe) var out = Data(), err = Data()
        group.enter()
        Thread.detachNewThread { out = output.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        Thread.detachNewThread { err = errors.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if let stdin, !stdin.isEmpty {
            // A command that exits without reading its input closes the pipe; that is not our error.
            try? input.fileHandleForWriting.write(contentsOf: stdin)
        }
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        group.wait()
        let signaled = process.terminationReason == .uncaughtSignal
        return CommandResult(status: signaled ? 128 + process.terminationStatus : process.terminationStatus,
                             stdout: out, stderr: err, signal: signaled ? "SIG\(process.terminationStatus)" : nil)
    }
}
