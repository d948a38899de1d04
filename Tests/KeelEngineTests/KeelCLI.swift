import Foundation

/// The built `keel` binary, run in a directory with extra environment variables (the caller's ANSIBLE_*
/// variables removed, so the test decides them) and optional standard input; output and errors together.
enum KeelCLI {
    static func run(_ arguments: [String], in directory: String, environment: [String: String] = [:],
                    stdin: String? = nil) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: LabInterruptTests.keelBinary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for name in env.keys where name.hasPrefix("ANSIBLE_") { env[name] = nil }
        for (key, value) in environment { env[key] = value }
        process.environment = env
        // Output to a file, not a pipe: a process that outlives keel could hold a pipe's write end open.
        let log = directory + "/keel-output-\(UUID().uuidString).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: log) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = handle
        process.standardError = handle
        let input = Pipe()
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        try handle.close()
        return (process.terminationStatus, String(decoding: FileManager.default.contents(atPath: log) ?? Data(), as: UTF8.self))
    }
}
