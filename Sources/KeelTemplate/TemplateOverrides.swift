import KeelBase

/// A template file's first line `#jinja2: trim_blocks: False, lstrip_blocks: True` (Ansible's
/// JINJA2_OVERRIDE): its settings replace the task's for this file, and the line itself is not rendered.
public enum TemplateOverrides {
    static let marker = "#jinja2:"

    /// The source without the override line, with `options` changed by it. Keel renders only the standard
    /// delimiters: overriding them is an error, as is anything but `key: value` pairs.
    public static func apply(to source: String, options: inout TemplateOptions, file: String) throws -> String {
        guard source.hasPrefix(marker) else { return source }
        let end = source.firstIndex(of: "\n") ?? source.endIndex
        let line = source[source.index(source.startIndex, offsetBy: marker.count)..<end]
        for pair in line.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2 else {
                throw KeelError("\(file): the #jinja2: line must hold key: value pairs", expected: "e.g. #jinja2: trim_blocks: False", found: String(pair))
            }
            let (key, value) = (parts[0], parts[1])
            func flag() throws -> Bool {
                switch value { case "True": return true; case "False": return false
                default: throw KeelError("\(file): #jinja2: \(key) must be True or False", found: value) }
            }
            switch key {
            case "trim_blocks": options.trimBlocks = try flag()
            case "lstrip_blocks": options.lstripBlocks = try flag()
            case "keep_trailing_newline": options.keepTrailingNewline = try flag()
            case "newline_sequence": continue   // the template module's own argument decides line endings
            default:
                throw KeelError("\(file): #jinja2: \(key) is not supported", expected: "trim_blocks, lstrip_blocks, keep_trailing_newline", found: key)
            }
        }
        return end == source.endIndex ? "" : String(source[source.index(after: end)...])
    }
}
