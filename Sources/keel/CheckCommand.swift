import ArgumentParser
import Foundation
import KeelBase
import KeelEngine
import KeelModel
import KeelReport

/// `keel check`: loads every playbook (with its roles, imported files, literal includes and the
/// inventory) as a run would, checks every task's module, keywords, arguments, templates and notified
/// handlers, and variables that are certainly undefined (given an inventory), and reports every problem of
/// every playbook at once, located. Contacts no host, so it runs in a pull request without credentials for
/// the hosts (vault passwords only if vaulted files must load).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check playbooks, roles and inventories without contacting any host.",
        discussion: """
        With no paths, checks the playbooks found in the current directory and its playbooks/ directory
        (YAML files whose top level is a list of plays). A directory given is searched the same way.
        With an inventory (-i or ansible.cfg), variables that nothing could define are reported too.
        Exit status: 0 no problems, 1 problems found.
        """)

    @Argument(help: "Playbook files or directories to search for playbooks.")
    var paths: [String] = []

    @Option(name: [.short, .customLong("inventory")], help: "Inventory file, directory or comma-separated host list (repeatable); checked, never contacted.")
    var inventory: [String] = []

    @Option(name: [.short, .customLong("extra-vars")], help: "Variables as key=value, YAML/JSON, or @file (repeatable), as for keel play.")
    var extraVars: [String] = []

    @Option(name: .customLong("roles-path"), help: "More directories to find roles in (repeatable).")
    var rolesPath: [String] = []

    @Option(name: .long, help: "text (default), github (workflow annotations) or sarif (SARIF 2.1.0 for code scanning).")
    var output = "text"

    @OptionGroup(title: "Vault")
    var vault: VaultPasswordOptions

    func validate() throws {
        guard ["text", "github", "sarif"].contains(output) else {
            throw ValidationError("--output takes text, github or sarif, not '\(output)'")
        }
    }

    func run() throws {
        let config = try AnsibleConfigLoader.load()
        var options = RunOptions()
        do { try config.apply(to: &options) } catch { throw AnsibleConfigLoader.fail(error) }
        if !inventory.isEmpty { options.inventorySources = inventory }
        options.rolesPath = rolesPath + options.rolesPath
        var problems: [KeelError] = []
        do {
            try vault.configureKeyring(environment: config.vaultEnvironment(ProcessInfo.processInfo.environment))
            for text in extraVars {
                for (key, value) in try ExtraVars.parse(text) { options.extraVars[key] = value }
            }
        } catch {
            problems.append(error as? KeelError ?? KeelError("\(error)"))
        }
        let found = PlaybookDiscovery.playbooks(in: paths)
        problems += found.unreadable
        if found.playbooks.isEmpty && found.unreadable.isEmpty {
            throw ValidationError(paths.isEmpty ? "no playbooks found in this directory or its playbooks/ directory; name the files to check"
                                                : "no playbooks found in \(paths.joined(separator: ", "))")
        }
        let runner = PlaybookRunner(options: options, sinks: [])
        var warnings: [KeelError] = []
        var undefined: [KeelError] = []
        for playbook in found.playbooks {
            do {
                let (inventory, loaded, loader, templates) = try runner.load([playbook])
                warnings += runner.portFindings(loaded, inventory: inventory, loader: loader, templates: templates).warnings
                // Problems in files only dynamic includes read matter only if the include runs, as in Ansible.
                warnings += ((try? runner.deferredProblems([playbook])) ?? []).map { problem in
                    var warning = problem
                    warning.message += " (an error only if it runs)"
                    return warning
                }
            } catch let many as LoadProblems {
                problems += many.problems
                warnings += many.deferred.map { problem in
                    var warning = problem
                    warning.message += " (an error only if it runs)"
                    return warning
                }
            } catch {
                problems.append(error as? KeelError ?? KeelError("\(error)", at: SourceLocation(file: playbook, line: 1, column: 1)))
            }
            undefined += runner.undefinedVariables(playbook)
        }
        // A role or inventory shared by several playbooks reports its problem once.
        var seen = Set<String>()
        problems = (problems + undefined).filter { seen.insert($0.description).inserted }
        warnings = warnings.filter { seen.insert($0.description).inserted }
        let report = ProblemReport(problems: problems, warnings: warnings, checkedFiles: found.playbooks, undefinedVariables: undefined)
        let text: String
        switch output {
        case "github": text = report.github()
        case "sarif": text = report.sarif(toolVersion: KeelVersion.string)
        default: text = report.text()
        }
        StandardOutput.write(SecretRedactor.shared.redact(text))
        if !problems.isEmpty { throw ExitCode(1) }
    }
}
