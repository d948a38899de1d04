import Foundation
import KeelBase
import KeelVault

/// assemble's fragments on the controller (remote_src: false), as Ansible's action plugin reads them: the
/// directory `src` looked up like copy's src (the role's files/, the role, the playbook's directory), its
/// regular files (links to files count) sorted by name, each decrypted when vault-encrypted unless
/// `decrypt` is false.
enum ControllerFragments {
    static func read(src: String, regexp: PythonRegex?, ignoreHidden: Bool, decrypt: Bool, files: ControllerFiles) throws -> [Data] {
        guard let directory = files.find(src, kind: "files") else {
            let places = files.searchPaths.map { $0 + "/files" } + (files.searchPaths.isEmpty ? ["the current directory"] : [])
            throw KeelError("could not find src '\(src)'", expected: "a directory of fragments in \(places.joined(separator: ", ")) or a path",
                            found: "nothing")
        }
        guard isDirectory(directory) else {
            throw KeelError("source \(directory) is not a directory", expected: "a directory of fragments", found: "a file")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
            .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        var fragments: [Data] = []
        for name in names {
            if let regexp, !regexp.matches(name) { continue }
            let path = directory + "/" + name
            guard isRegularFile(path), !(ignoreHidden && name.hasPrefix(".")) else { continue }
            guard let data = FileManager.default.contents(atPath: path) else { throw KeelError("cannot read \(path)") }
            fragments.append(decrypt ? try VaultedFile.plaintext(data, path: path) : data)
        }
        return fragments
    }

    /// Python's os.path.isfile: a regular file, following links.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }
}
