import ArgumentParser
import Foundation
import KeelTransport

enum KeelVersion {
    static let string = "0.1.0"
}

/// `keel version`: the version, the commit it was built from, and the libraries that matter when
/// something goes wrong on a user's machine.
struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Keel's version, build commit and libssh2 version.")

    func run() {
        print("keel \(KeelVersion.string)")
        print("commit: \(BuildInfo.commit ?? "unknown (a development build)")")
        print("libssh2: \(LibSSH2Version.runtime)")
        print("swift runtime: \(Self.runtimeLinkage)")
    }

    /// "static" when the Swift runtime is linked into the binary (a packaged build), else "shared".
    static var runtimeLinkage: String {
        // procfs files report size 0: read to the end rather than by size.
        let maps = FileHandle(forReadingAtPath: "/proc/self/maps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        return maps.contains("libswiftCore.so") ? "shared" : "static"
    }
}
