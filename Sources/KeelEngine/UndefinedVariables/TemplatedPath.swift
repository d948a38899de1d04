import Foundation
import KeelTemplate

/// The files a path with templates in it (`"{{ ansible_facts.os_family }}.yml"`, `"{{ item }}"`) could
/// name, found on disk: each template part stands for any text. Used to learn what an include could
/// define without knowing the host; a caller finding none gives up rather than guess.
struct TemplatedPath {
    private var listings: [String: [String]] = [:]

    /// Matching files under `directories` (searched recursively, hidden entries skipped), absolute paths.
    mutating func candidates(_ path: String, in directories: [String]) -> [String] {
        guard let pattern = Self.pattern(path) else { return [] }
        var found: [String] = []
        for directory in directories {
            for relative in files(under: directory) {
                let full = directory.hasSuffix("/") ? directory + relative : directory + "/" + relative
                guard relative.range(of: pattern, options: .regularExpression) != nil
                        || full.range(of: pattern, options: .regularExpression) != nil else { continue }
                if !found.contains(full) { found.append(full) }
            }
        }
        return found
    }

    /// A regular expression for the whole path: literal text as itself, each `{{ ... }}` as any text within
    /// one path segment (`vars/{{ os }}.yml`), except a leading one followed by `/` (`{{ role_path }}/x.yml`):
    /// any directory or none; a template that is the whole path matches any file.
    static func pattern(_ path: String) -> String? {
        guard let template = try? NSRegularExpression(pattern: "\\{\\{.*?\\}\\}|\\{%.*?%\\}") else { return nil }
        let text = path as NSString
        var result = "^"
        var last = 0
        for match in template.matches(in: path, range: NSRange(location: 0, length: text.length)) {
            result += NSRegularExpression.escapedPattern(for: text.substring(with: NSRange(location: last, length: match.range.location - last)))
            let leading = match.range.location == 0
            let isLeadingDirectory = leading && text.length > match.range.upperBound
                && text.substring(with: NSRange(location: match.range.upperBound, length: 1)) == "/"
            let whole = leading && match.range.upperBound == text.length
            result += isLeadingDirectory ? "(.*/)?" : whole ? ".*" : "[^/]*"
            last = match.range.upperBound + (isLeadingDirectory ? 1 : 0)
        }
        result += NSRegularExpression.escapedPattern(for: text.substring(from: last)) + "$"
        return result
    }

    private mutating func files(under directory: String) -> [String] {
        if let cached = listings[directory] { return cached }
        var found: [String] = []
        if let walker = FileManager.default.enumerator(atPath: (directory as NSString).resolvingSymlinksInPath) {
            while let entry = walker.nextObject() as? String, found.count < 20_000 {
                let name = (entry as NSString).lastPathComponent
                if name.hasPrefix(".") { walker.skipDescendants(); continue }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: directory + "/" + entry, isDirectory: &isDirectory), !isDirectory.boolValue {
                    found.append(entry)
                }
            }
        }
        listings[directory] = found
        return found
    }
}
