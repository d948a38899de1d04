import Foundation

/// A role's own modules: Ansible runs the files in a role's `library/` directory as modules of that role
/// (Python, or PowerShell for Windows). Keel runs no such module, but it must know the name is one: a task
/// using it loads (it may never run: `when: feature_enabled`), and fails only if it runs.
public enum RoleLibrary {
    /// The file in `rolePath`/library that provides `module`, if any.
    public static func module(_ module: String, in rolePath: String) -> String? {
        let directory = rolePath + "/library"
        for name in [module + ".py", module + ".ps1", module] where FileManager.default.fileExists(atPath: directory + "/" + name) {
            return "library/" + name
        }
        return nil
    }
}
