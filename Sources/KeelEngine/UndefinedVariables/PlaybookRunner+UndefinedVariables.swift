import Foundation
import KeelBase
import KeelModel

extension PlaybookRunner {
    /// The variables of `playbook` that are certainly undefined (see UndefinedVariables), found without
    /// contacting any host. Nothing is reported without an inventory (-i or ansible.cfg), or with one that
    /// an inventory plugin or script fills when it runs: those could define any name. A playbook that does
    /// not load at all has its problem reported by `load`.
    public func undefinedVariables(_ playbook: String) -> [KeelError] {
        guard !options.inventorySources.isEmpty, !options.inventorySources.contains(where: Self.mayBeDynamic),
              let loaded = try? load({ loader in [try loader.loadPlaybook(at: playbook)] }, stopAtProblems: false) else { return [] }
        return loaded.playbooks.flatMap { loadedPlaybook in
            UndefinedVariables.problems(in: loadedPlaybook, inventory: loaded.inventory, extraVars: Array(options.extraVars.keys),
                                        registry: registry, loader: loaded.loader, templates: loaded.templates)
        }
    }

    /// An inventory source that is (or holds) an inventory plugin's configuration (`plugin: aws_ec2`) or an
    /// executable script.
    static func mayBeDynamic(_ source: String) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: source, isDirectory: &isDirectory) else { return false }
        let files = isDirectory.boolValue
            ? ((FileManager.default.enumerator(atPath: source)?.allObjects as? [String]) ?? []).map { source + "/" + $0 }
            : [source]
        return files.contains { file in
            guard !file.contains("/group_vars/"), !file.contains("/host_vars/") else { return false }
            if FileManager.default.isExecutableFile(atPath: file),
               FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory), !isDirectory.boolValue { return true }
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return false }
            return text.split(separator: "\n").contains { $0.hasPrefix("plugin:") }
        }
    }
}
