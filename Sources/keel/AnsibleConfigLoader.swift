import ArgumentParser
import Foundation
import KeelBase
import KeelEngine

/// Reads ansible.cfg and the ANSIBLE_* variables for a command, printing its warnings (the ignored
/// settings among them) once on stderr; a file that does not parse stops the command (exit 1), as in Ansible.
enum AnsibleConfigLoader {
    static func load(printWarnings: Bool = true) throws -> AnsibleConfig {
        do {
            let config = try AnsibleConfig.load()
            if printWarnings {
                for warning in config.warnings { FileHandle.standardError.write(Data("[WARNING]: \(warning)\n".utf8)) }
            }
            return config
        } catch {
            throw fail(error)
        }
    }

    /// The environment with ansible.cfg's vault settings filled in where the variables are unset (ansible-vault reads them too).
    static func vaultEnvironment() throws -> [String: String] {
        try load(printWarnings: false).vaultEnvironment(ProcessInfo.processInfo.environment)
    }

    static func fail(_ error: any Error) -> ExitCode {
        FileHandle.standardError.write(Data("ansible.cfg: \(error)\n".utf8))
        return ExitCode(1)
    }
}

/// `keel config dump`: the settings in effect and where each comes from, as `ansible-config dump --only-changed`.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Show the ansible.cfg settings Keel uses.",
        subcommands: [Dump.self])

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the settings changed by ansible.cfg or ANSIBLE_* variables, with their origin.",
            discussion: "As `ansible-config dump --only-changed`: NAME(origin) = value. Settings Keel ignores are listed at the end.")

        func run() throws {
            let config = try AnsibleConfigLoader.load(printWarnings: false)
            print(config.dump, terminator: "")
        }
    }
}
