import Foundation
import KeelBase
import KeelModules

/// `keel run PATTERN -m MODULE -a ARGS` as the one-task play Ansible's `ansible` command makes of it:
/// the hosts of the pattern, no fact gathering, one task. Written as playbook text so it goes through
/// the same loader, checks and engine as `keel play` (JSON strings are YAML, so any pattern or argument
/// text is carried exactly).
public struct AdHocPlay: Sendable {
    public var pattern: String
    public var module: String
    public var arguments: String

    /// The name errors and warnings use for the play: there is no file.
    public static let name = "(keel run)"

    public init(pattern: String, module: String = "command", arguments: String = "") {
        self.pattern = pattern
        self.module = module
        self.arguments = arguments
    }

    /// The playbook text, or a usage error for a module name that cannot be one.
    public func playbookText(registry: ModuleRegistry = StandardModules.registry) throws -> String {
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_."))
        guard !module.isEmpty, module.unicodeScalars.allSatisfy(allowed.contains), registry.canonicalName(for: module) != nil else {
            throw KeelError("unknown module '\(module)' (-m)", expected: "a module Keel knows (keel modules lists them)",
                            found: "'\(module)'", suggestion: Suggestion.closest(to: module, among: registry.allNames))
        }
        return """
            - hosts: \(Value.string(pattern).jsonString())
              gather_facts: false
              tasks:
                - \(module): \(argumentsText)

            """
    }

    /// `-a` as the module's value: a JSON mapping as it is (Ansible accepts one), otherwise the text,
    /// which the loader splits into k=v pairs or keeps free-form for command and shell.
    private var argumentsText: String {
        let trimmed = arguments.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return "{}" }
        if trimmed.hasPrefix("{"), let data = trimmed.data(using: .utf8),
           (try? JSONSerialization.jsonObject(with: data)) is [String: Any] {
            return trimmed
        }
        return Value.string(arguments).jsonString()
    }
}
