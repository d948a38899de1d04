import Foundation
import KeelBase

/// A template that another template names in `{% include %}`, `{% import %}`, `{% from %}` or `{% extends %}`.
public struct TemplateSource: Sendable {
    public var text: String
    /// Where the text came from (a file path): error locations inside the template name it.
    public var path: String

    public init(text: String, path: String) {
        self.text = text
        self.path = path
    }
}

/// Finds the templates that `include`, `import`, `from` and `extends` name (Jinja2's loader).
public protocol TemplateLoader: Sendable {
    /// The template called `name` as written in the template, or nil when there is none (which
    /// `ignore missing` forgives). A template that exists but cannot be read is an error.
    func source(named name: String) throws -> TemplateSource?
    /// Where templates are looked for, for the message about a missing one.
    var searchDescription: String { get }
}

/// Templates held in memory by name.
public struct DictionaryTemplateLoader: TemplateLoader {
    public var templates: [String: String]

    public init(_ templates: [String: String]) { self.templates = templates }

    public func source(named name: String) throws -> TemplateSource? {
        templates[name].map { TemplateSource(text: $0, path: name) }
    }

    public var searchDescription: String { "the templates " + templates.keys.sorted().map { "'\($0)'" }.joined(separator: ", ") }
}

/// Jinja2's FileSystemLoader: the name is split on "/", empty and "." parts are dropped (so a leading "/"
/// does not make it absolute) and ".." is refused; the first search path holding a file of that name wins.
public struct FileSystemTemplateLoader: TemplateLoader {
    public var searchPaths: [String]
    /// Turns a file's bytes into template text bytes (the template module decrypts vaulted files here).
    public var decode: @Sendable (_ data: Data, _ path: String) throws -> Data

    public init(searchPaths: [String], decode: @escaping @Sendable (Data, String) throws -> Data = { data, _ in data }) {
        self.searchPaths = searchPaths
        self.decode = decode
    }

    public func source(named name: String) throws -> TemplateSource? {
        var pieces: [Substring] = []
        for piece in name.split(separator: "/", omittingEmptySubsequences: false) {
            if piece == ".." { return nil }
            if !piece.isEmpty && piece != "." { pieces.append(piece) }
        }
        guard !pieces.isEmpty else { return nil }
        let relative = pieces.joined(separator: "/")
        for base in searchPaths {
            let path = base.hasSuffix("/") ? base + relative : base + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
            guard let stored = FileManager.default.contents(atPath: path) else { throw KeelError("cannot read template \(path)") }
            let data = try decode(stored, path)
            guard let text = String(data: data, encoding: .utf8) else { throw KeelError("template \(path) is not UTF-8 text") }
            return TemplateSource(text: text, path: path)
        }
        return nil
    }

    public var searchDescription: String { searchPaths.isEmpty ? "no search path" : searchPaths.joined(separator: ", ") }
}
