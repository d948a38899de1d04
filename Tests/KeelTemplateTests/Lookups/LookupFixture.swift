import Foundation
import KeelBase
import KeelTemplate
import OrderedCollections

/// A throw-away playbook directory with a role, and a context whose search path is that role's then the
/// playbook's, as the engine gives a role task: what the lookup unit tests render against.
final class LookupFixture: Sendable {
    let directory: String
    let engine = TemplateEngine()
    let variables: OrderedDictionary<String, Value>

    init(files: [String: String] = [:], variables extra: OrderedDictionary<String, Value> = [:]) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-lookups-\(UUID().uuidString)").path
        for (name, text) in files {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try FileManager.default.createDirectory(atPath: directory + "/roles/web/tasks", withIntermediateDirectories: true)
        var variables: OrderedDictionary<String, Value> = [
            "playbook_dir": .string(directory), "role_path": .string(directory + "/roles/web"),
            "ansible_search_path": [.string(directory + "/roles/web"), .string(directory + "/roles/web/tasks")],
            "inventory_hostname": "web1"]
        for (k, v) in extra { variables[k] = v }
        self.variables = variables
    }

    deinit { try? FileManager.default.removeItem(atPath: directory) }

    /// `{{ expression }}` rendered with native types.
    func value(_ expression: String) throws -> Value {
        try engine.renderValue("{{ \(expression) }}", context: DictionaryContext(variables), origin: SourceLocation(file: "site.yml", line: 3, column: 7))
    }

    func loop(_ lookup: String, _ terms: [Value], subdirectory: String? = nil) throws -> [Value] {
        try engine.loopItems(lookup: lookup, terms: terms, context: DictionaryContext(variables), subdirectory: subdirectory)
    }

    func read(_ name: String) -> String? {
        FileManager.default.contents(atPath: directory + "/" + name).map { String(decoding: $0, as: UTF8.self) }
    }
}
