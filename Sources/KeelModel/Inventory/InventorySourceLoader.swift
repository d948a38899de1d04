import Foundation
import KeelBase
import KeelVault

/// Turns `-i` arguments into a graph: directories are read entry by entry (sorted, skipping what Ansible
/// skips), files are YAML when they parse as a YAML mapping (extension .yml/.yaml/.json or none) and INI
/// otherwise, and a comma-separated argument that is not a path is a host list.
struct InventorySourceLoader {
    var graph = InventoryGraph()
    var warnings: [String] = []

    /// Names Ansible never reads as inventory inside a directory.
    static let ignoredSuffixes = [".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry"]
    static let ignoredNames: Set<String> = ["host_vars", "group_vars", "vars_plugins"]

    mutating func load(source: String) throws {
        if source.contains(","), !FileManager.default.fileExists(atPath: source) {
            try loadHostList(source)
            return
        }
        let path = Self.absolute(source)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw KeelError("inventory source '\(source)' does not exist", expected: "an inventory file, a directory or a comma-separated host list",
                            found: "no such file or directory")
        }
        if isDir.boolValue { try loadDirectory(path) } else { try loadFile(path) }
    }

    mutating func loadDirectory(_ path: String) throws {
        let entries = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
        for entry in entries {
            if entry.hasPrefix(".") || Self.ignoredNames.contains(entry) || Self.ignoredSuffixes.contains(where: entry.hasSuffix) { continue }
            let full = (path as NSString).appendingPathComponent(entry)
            var isDir: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: full, isDirectory: &isDir)
            if isDir.boolValue { try loadDirectory(full) } else { try loadFile(full) }
        }
    }

    mutating func loadFile(_ path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeelError("cannot read inventory file '\(path)'", at: SourceLocation(file: path, line: 1, column: 1))
        }
        guard var text = String(data: data, encoding: .utf8) else {
            throw KeelError("inventory file '\(path)' is not UTF-8 text", at: SourceLocation(file: path, line: 1, column: 1))
        }
        if VaultEnvelope.isVaulted(text) {
            // A vaulted inventory (INI or YAML) is read as its plaintext; host names are not secrets.
            text = try VaultKeyring.shared.decryptText(text, at: SourceLocation(file: path, line: 1, column: 1), registerSecret: false)
        }
        let ext = AdjacentVariables.pythonExtension((path as NSString).lastPathComponent)
        if ext == ".toml" {
            throw KeelError("TOML inventories are not supported", at: SourceLocation(file: path, line: 1, column: 1),
                            expected: "an INI or YAML inventory", found: "a .toml file")
        }
        graph.currentSource = path
        defer { graph.currentSource = nil }
        let yamlCandidate = ext.isEmpty || AdjacentVariables.extensions.contains(ext)
        if yamlCandidate {
            do {
                if let root = try YAMLLoader.load(string: text, file: path), root.pairs != nil {
                    try YAMLInventoryParser(file: path).parse(root, into: &graph, warnings: &warnings)
                    return
                }
            } catch let error as KeelError where ext.isEmpty && error.message.hasPrefix("invalid YAML") {
                // Not YAML: Ansible then tries the INI plugin, and so do we.
            }
            if !ext.isEmpty {
                throw KeelError("a YAML inventory must be a mapping of group names", at: SourceLocation(file: path, line: 1, column: 1),
                                expected: "a mapping such as 'all: {hosts: …}'", found: "something else")
            }
        }
        try INIInventoryParser(file: path).parse(text, into: &graph)
    }

    /// `host1,host2:2222,` : every entry joins `ungrouped`.
    mutating func loadHostList(_ list: String) throws {
        for entry in list.split(separator: ",") {
            let name = entry.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty else { continue }
            let (host, port) = name.contains("[") ? (name, nil) : HostAddress.split(name)
            if graph.hosts[host] == nil { try graph.addHost(host, to: "ungrouped", port: port) }
        }
    }

    /// An absolute, normalised path without resolving symlinks (Ansible's unfrackpath with follow=False).
    static func absolute(_ path: String) -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let joined = expanded.hasPrefix("/") ? expanded : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(expanded)
        var parts: [Substring] = []
        for part in joined.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }
}
