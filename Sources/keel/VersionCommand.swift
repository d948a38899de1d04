import ArgumentParser

enum KeelVersion {
    static let string = "0.1.0"
}

struct VersionCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "version", abstract: "Print Keel's version.")
    func run() { print("keel \(KeelVersion.string)") }
}
