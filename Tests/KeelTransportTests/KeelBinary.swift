import Foundation
import Synchronization

/// The built `keel` binary, run as a user runs it: arguments, a working directory, output and status.
enum KeelBinary {
    /// KEEL_BINARY names another build (to show a test fails on an older keel); otherwise the one beside the tests.
    static var path: String {
        if let other = ProcessInfo.processInfo.environment["KEEL_BINARY"] { return other }
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        var candidate = directory
        while candidate.path != "/" {
            let path = candidate.appendingPathComponent("keel").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
            candidate.deleteLastPathComponent()
        }
        return directory.appendingPathComponent("keel").path
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
        var seconds: Double
        var output: String { stdout + stderr }
    }

    /// Runs keel with `arguments`; `shell` instead runs `sh -c` with $KEEL set (for bytes a Swift String cannot carry).
    static func run(_ arguments: [String], in directory: String? = nil, shell: String? = nil) throws -> Result {
        let process = Process()
        if let shell {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", shell]
            var environment = ProcessInfo.processInfo.environment
            environment["KEEL"] = path
            process.environment = environment
        } else {
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
        }
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        let started = Date()
        try process.run()
        let errData = Mutex(Data())
        let reader = Thread { errData.withLock { $0 = err.fileHandleForReading.readDataToEndOfFile() } }
        reader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { Thread.sleep(forTimeInterval: 0.01) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData.withLock { $0 }, as: UTF8.self), seconds: Date().timeIntervalSince(started))
    }

    /// A directory of files for one test (removed by the caller).
    static func directory(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ld-\(UUID().uuidString)").path
        for (name, text) in files {
            let path = root + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return root
    }
}
