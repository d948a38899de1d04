import ArgumentParser
struct LabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lab", abstract: "Disposable lab hosts.")
    func run() async throws {}
}
