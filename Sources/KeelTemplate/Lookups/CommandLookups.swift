import Foundation
import KeelBase
import OrderedCollections

/// pipe and lines: each term is a shell command run on the controller, in the playbook's directory.
/// pipe gives the output without trailing whitespace, lines gives one item per output line. A command
/// that exits non-zero is an error.
enum CommandLookups {
    static let all: [String: LookupBody] = [
        "pipe": { terms, _, environment in
            try terms.map { .string(try run(try $0.lookupTerm("pipe"), lookup: "pipe", environment).trimmingTrailingPythonWhitespace()) }
        },
        "lines": { terms, _, environment in
            try terms.flatMap { term in
                PythonLines.split(try run(try term.lookupTerm("lines"), lookup: "lines", environment)).map(Value.string)
            }
        },
    ]

    static func run(_ command: String, lookup: String, _ environment: LookupEnvironment) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.currentDirectoryURL = URL(fileURLWithPath: environment.baseDirectory())
        // Output to a temporary file, not a pipe: a background child of the command may keep a pipe open.
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("keel-lookup-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: output.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: output) }
        let handle = try FileHandle(forWritingTo: output)
        process.standardOutput = handle
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch {
            try? handle.close()
            throw KeelError("lookup_plugin.\(lookup)(\(command)) could not start /bin/sh: \(error)")
        }
        process.waitUntilExit()
        try handle.close()
        guard process.terminationStatus == 0 else {
            throw KeelError("lookup_plugin.\(lookup)(\(command)) returned \(process.terminationStatus)", expected: "exit status 0", found: "\(process.terminationStatus)")
        }
        return String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
    }
}
