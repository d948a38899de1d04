import Foundation
import KeelBase
import KeelVault
import OrderedCollections

/// Lookups that read controller files found through the search path: file, fileglob, unvault.
enum FileLookups {
    static let all: [String: LookupBody] = [
        "file": { terms, options, environment in try file(terms, options, environment) },
        "fileglob": { terms, _, environment in try fileglob(terms, environment) },
        "unvault": { terms, _, environment in try unvault(terms, environment) },
    ]

    /// file: each file's content; trailing whitespace removed (`rstrip`, on by default), leading only with `lstrip`.
    static func file(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        let options = try LookupOptions("file", defaults: ["rstrip": true, "lstrip": false], given: given)
        let rstrip = try options.bool("rstrip"), lstrip = try options.bool("lstrip")
        return try terms.map { term in
            let path = try environment.require(try term.lookupTerm("file"), in: "files", for: "file")
            var text = try read(path, for: "file")
            if lstrip { text = String(text.drop { $0.isPythonWhitespace }) }
            if rstrip { while let last = text.last, last.isPythonWhitespace { text.removeLast() } }
            return .string(text)
        }
    }

    /// fileglob: the files (not directories) matching each pattern. A pattern with a directory looks in
    /// the first place the search path finds that directory; a bare pattern tries each search path's
    /// files/ and then the path itself, stopping at the first that matches anything.
    static func fileglob(_ terms: [Value], _ environment: LookupEnvironment) throws -> [Value] {
        var result: [Value] = []
        for term in terms {
            let pattern = try term.lookupTerm("fileglob")
            let name = (pattern as NSString).lastPathComponent
            var directories: [String] = []
            if name != pattern {
                if let found = try environment.find((pattern as NSString).deletingLastPathComponent, in: "files") { directories.append(found) }
            } else {
                for path in try environment.searchPath() { directories += [SearchPath.join(path, "files"), path] }
            }
            for directory in directories {
                let matches = glob(SearchPath.join(directory, name))
                if !matches.isEmpty { result += matches.map(Value.string); break }
            }
        }
        return result
    }

    /// unvault: the file's content, decrypted with the run's vault passwords when it is vault-encrypted
    /// (a plain file is returned as it is).
    static func unvault(_ terms: [Value], _ environment: LookupEnvironment) throws -> [Value] {
        try terms.map { term in
            let path = try environment.require(try term.lookupTerm("unvault"), in: "files", for: "unvault")
            return .string(try read(path, for: "unvault"))
        }
    }

    /// A controller file's text; a vault-encrypted file is decrypted (and its text becomes a secret), as
    /// Ansible's loader does for file, unvault, template and the other file lookups.
    static func read(_ path: String, for lookup: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw KeelError("lookup '\(lookup)': cannot read \(path)", found: FileManager.default.fileExists(atPath: path) ? "an unreadable file" : "no file")
        }
        return String(decoding: try VaultedFile.plaintext(data, path: path), as: UTF8.self)
    }

    /// Regular files matching a shell pattern, sorted (Python's glob leaves them in directory order).
    static func glob(_ pattern: String) -> [String] {
        var result = glob_t()
        defer { globfree(&result) }
        guard Foundation.glob(pattern, 0, nil, &result) == 0 else { return [] }
        return (0..<Int(result.gl_pathc)).compactMap { result.gl_pathv[$0].map { String(cString: $0) } }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }
}
