import ArgumentParser
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run an ad-hoc command.")
    func run() async throws {}
}
