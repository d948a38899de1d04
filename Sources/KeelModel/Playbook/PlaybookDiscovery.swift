import Foundation
import KeelBase
import Yams

/// Finds the playbooks of a repository for `keel check`: YAML files at the top of a directory and in its
/// playbooks/ directory whose top level is a list of plays (mappings with `hosts` or `import_playbook`).
/// Other YAML there (CI files, docker-compose files, galaxy requirements) is not a playbook and is left
/// alone; a YAML file that does not parse at all is reported, since it may be a broken playbook.
public enum PlaybookDiscovery {
    public struct Found: Sendable {
        public var playbooks: [String] = []
        public var unreadable: [KeelError] = []
    }

    static let playKeys: Set<String> = ["hosts", "import_playbook", "ansible.builtin.import_playbook"]

    public static func playbooks(in paths: [String]) -> Found {
        var found = Found()
        let files = FileManager.default
        for path in paths.isEmpty ? ["."] : paths {
            var isDirectory: ObjCBool = false
            guard files.fileExists(atPath: path, isDirectory: &isDirectory) else {
                found.unreadable.append(KeelError("no such file or directory: \(path)"))
                continue
            }
            if !isDirectory.boolValue {
                // A file named explicitly is checked as a playbook, whatever it holds.
                found.playbooks.append(clean(path))
                continue
            }
            for directory in [path, path + "/playbooks"] {
                let names = ((try? files.contentsOfDirectory(atPath: directory)) ?? []).sorted()
                for name in names where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
                    let file = clean(directory + "/" + name)
                    switch classify(file) {
                    case .playbook: found.playbooks.append(file)
                    case .other: break
                    case .broken(let error): found.unreadable.append(error)
                    }
                }
            }
        }
        return found
    }

    enum Kind {
        case playbook, other
        case broken(KeelError)
    }

    static func classify(_ file: String) -> Kind {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
            return .broken(KeelError("cannot read \(file) as UTF-8 text", at: SourceLocation(file: file, line: 1, column: 1)))
        }
        // Vaulted files are variables, never playbooks.
        if text.hasPrefix("$ANSIBLE_VAULT;") { return .other }
        do {
            guard case .sequence(let items)? = try Yams.compose(yaml: text) else { return .other }
            let isPlaybook = items.contains { item in
                guard case .mapping(let pairs) = item else { return false }
                return pairs.contains { $0.key.string.map(playKeys.contains) ?? false }
            }
            return isPlaybook ? .playbook : .other
        } catch let error as YamlError {
            return .broken(YAMLLoader.translate(error, file: file))
        } catch {
            return .broken(KeelError("\(error)", at: SourceLocation(file: file, line: 1, column: 1)))
        }
    }

    private static func clean(_ path: String) -> String {
        path.hasPrefix("./") ? String(path.dropFirst(2)) : path
    }
}
