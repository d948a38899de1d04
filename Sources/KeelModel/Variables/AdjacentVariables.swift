import Foundation
import KeelBase
import OrderedCollections

/// The `group_vars/` and `host_vars/` beside an inventory source or a playbook, as Ansible's
/// host_group_vars plugin reads them: for a name `web`, the first of `web`, `web.yml`, `web.yaml`,
/// `web.json` that exists; a directory of that name contributes all its files (sorted, recursively,
/// hidden and `~` backups skipped, only .yml/.yaml/.json or no extension), merged in order.
public struct AdjacentVariables: Sendable, Equatable {
    /// The directory holding `group_vars/` and `host_vars/`.
    public let directory: String
    public private(set) var groupVars: [String: OrderedDictionary<String, Value>] = [:]
    public private(set) var hostVars: [String: OrderedDictionary<String, Value>] = [:]

    public static let extensions = [".yml", ".yaml", ".json"]

    /// Loads the files for the given group and host names (Ansible only looks up names that exist in
    /// the inventory, so a `group_vars/typo.yml` is silently unused there too).
    public static func load(beside directory: String, groups: [String], hosts: [String]) throws -> AdjacentVariables {
        var result = AdjacentVariables(directory: directory)
        let groupDir = (directory as NSString).appendingPathComponent("group_vars")
        let hostDir = (directory as NSString).appendingPathComponent("host_vars")
        if isDirectory(groupDir) {
            for name in groups {
                if let vars = try variables(in: groupDir, for: name) { result.groupVars[name] = vars }
            }
        }
        if isDirectory(hostDir) {
            for name in hosts where !name.hasPrefix("/") {
                if let vars = try variables(in: hostDir, for: name) { result.hostVars[name] = vars }
            }
        }
        return result
    }

    /// Variables for `name` under `base`, nil when no file exists.
    static func variables(in base: String, for name: String) throws -> OrderedDictionary<String, Value>? {
        let files = findFiles(in: base, for: name)
        guard !files.isEmpty else { return nil }
        var merged = OrderedDictionary<String, Value>()
        for file in files {
            for (key, value) in try loadMapping(file) { merged[key] = value }
        }
        return merged
    }

    static func findFiles(in base: String, for name: String) -> [String] {
        let stem = (base as NSString).appendingPathComponent(name)
        for ext in [""] + extensions {
            let path = stem + ext
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { continue }
            return isDir.boolValue ? filesInDirectory(path) : [path]
        }
        return []
    }

    static func filesInDirectory(_ directory: String) -> [String] {
        let entries = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        var found: [String] = []
        for entry in entries where !entry.hasPrefix(".") && !entry.hasSuffix("~") {
            let path = (directory as NSString).appendingPathComponent(entry)
            let ext = pythonExtension(entry)
            if isDirectory(path) {
                if ext.isEmpty { found += filesInDirectory(path) }
            } else if ext.isEmpty || extensions.contains(ext) {
                found.append(path)
            }
        }
        return found
    }

    /// A variables file must hold a mapping; an empty file contributes nothing.
    static func loadMapping(_ file: String) throws -> OrderedDictionary<String, Value> {
        guard let node = try YAMLLoader.load(file: file) else { return [:] }
        switch node.value {
        case .null: return [:]
        case .dict(let d):
            if node.fromVault { SecretRedactor.shared.register(allStringsIn: .dict(d)) }
            return d
        default:
            throw KeelError("a variables file must contain a mapping", at: node.location,
                            expected: "a mapping of variable names to values", found: node.shapeDescription)
        }
    }

    /// Python's os.path.splitext extension: the last dot not at the start of the name.
    static func pythonExtension(_ name: String) -> String {
        let trimmed = name.drop { $0 == "." }
        guard let dot = trimmed.lastIndex(of: ".") else { return "" }
        return String(trimmed[dot...])
    }

    static func isDirectory(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}
