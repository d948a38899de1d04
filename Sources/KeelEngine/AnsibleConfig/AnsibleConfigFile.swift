import Foundation

/// Where Ansible finds its one ansible.cfg (ansible/config/manager.py's find_ini_config_file): the first
/// readable file of ANSIBLE_CONFIG (a directory means its ansible.cfg), ./ansible.cfg unless the current
/// directory is world-writable, ~/.ansible.cfg, /etc/ansible/ansible.cfg. Files are not merged.
public enum AnsibleConfigFile {
    public static func locate(environment: [String: String], currentDirectory: String = FileManager.default.currentDirectoryPath,
                              home: String = NSHomeDirectory()) -> (path: String?, warning: String?) {
        var candidates: [String] = []
        if let fromEnvironment = environment["ANSIBLE_CONFIG"] {
            var path = AnsiblePath.resolve(fromEnvironment, relativeTo: currentDirectory, environment: environment, home: home)
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue { path += "/ansible.cfg" }
            candidates.append(path)
        }
        let local = currentDirectory + "/ansible.cfg"
        var skippedLocal = false
        if let mode = (try? FileManager.default.attributesOfItem(atPath: currentDirectory))?[.posixPermissions] as? Int, mode & 0o002 != 0 {
            skippedLocal = FileManager.default.fileExists(atPath: local)
        } else {
            candidates.append(local)
        }
        candidates.append(home + "/.ansible.cfg")
        candidates.append("/etc/ansible/ansible.cfg")
        let found = candidates.first { path in
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
                && FileManager.default.isReadableFile(atPath: path)
        }
        let fromEnvironment = environment["ANSIBLE_CONFIG"] != nil ? candidates.first : nil
        let warning = skippedLocal && found != fromEnvironment
            ? "the current directory (\(currentDirectory)) is world-writable, so its ansible.cfg is ignored, as Ansible ignores it" : nil
        return (found, warning)
    }
}

/// Ansible's path resolution for settings (unfrackpath): `{{CWD}}`, `~` and `$VAR` expanded, relative
/// paths made absolute against a base directory (the ansible.cfg's for its values, the current directory
/// for environment variables), `.` and `..` folded, symbolic links kept.
public enum AnsiblePath {
    public static func resolve(_ text: String, relativeTo base: String, environment: [String: String],
                               home: String = NSHomeDirectory()) -> String {
        var path = text.replacingOccurrences(of: "{{CWD}}", with: FileManager.default.currentDirectoryPath)
        if path == "~" { path = home } else if path.hasPrefix("~/") { path = home + path.dropFirst(1) }
        path = expandVariables(path, environment: environment)
        if !path.hasPrefix("/") { path = base + "/" + path }
        var parts: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." || part.isEmpty { continue }
            if part == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(part)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// `$NAME` and `${NAME}` from the environment; unknown names stay as written, as os.path.expandvars leaves them.
    static func expandVariables(_ text: String, environment: [String: String]) -> String {
        guard text.contains("$") else { return text }
        var result = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            guard character == "$" else { result.append(character); index = text.index(after: index); continue }
            var nameStart = text.index(after: index)
            let braced = nameStart < text.endIndex && text[nameStart] == "{"
            if braced { nameStart = text.index(after: nameStart) }
            var nameEnd = nameStart
            while nameEnd < text.endIndex, text[nameEnd].isLetter || text[nameEnd].isNumber || text[nameEnd] == "_" { nameEnd = text.index(after: nameEnd) }
            let name = String(text[nameStart..<nameEnd])
            let closed = !braced || (nameEnd < text.endIndex && text[nameEnd] == "}")
            let end = braced && closed ? text.index(after: nameEnd) : nameEnd
            if !name.isEmpty, closed, let value = environment[name] {
                result += value
            } else {
                result += text[index..<end]
            }
            index = end == index ? text.index(after: index) : end
        }
        return result
    }
}
