import Foundation
import KeelBase

/// Ansible's `comment` filter (`{{ ansible_managed | comment }}` heads many role templates): the text
/// with every line decorated, between prefix and postfix lines, in one of Ansible's comment styles.
enum CommentFilter {
    static let styles: [String: [String: String]] = [
        "plain": ["decoration": "# "],
        "erlang": ["decoration": "% "],
        "c": ["decoration": "// "],
        "cblock": ["beginning": "/*", "decoration": " * ", "end": " */"],
        "xml": ["beginning": "<!--", "decoration": " - ", "end": "-->"],
    ]

    static let filter: FilterBody = { v, a, k, _ in
        let style = try FilterArguments(a, k).string(0, "style", "plain")
        guard let styleParameters = styles[style] else {
            throw KeelError("Invalid style '\(style)'.", expected: "one of " + ["plain", "erlang", "c", "cblock", "xml"].joined(separator: ", "),
                            found: "'\(style)'")
        }
        var options: [String: RValue] = [:]
        for (key, value) in k where key != "style" { options[key] = value }
        let prePostfix = try options["decoration"]?.pythonStr() ?? styleParameters["decoration"] ?? ""
        // Ansible's defaults, then the style's, then the caller's keywords.
        var p: [String: String] = ["newline": "\n", "beginning": "", "prefix": rstrip(prePostfix), "decoration": "",
                                   "postfix": rstrip(prePostfix), "end": ""]
        var counts = ["prefix_count": 1, "postfix_count": 1]
        for (key, value) in styleParameters { p[key] = value }
        for (key, value) in options {
            if counts[key] != nil { counts[key] = try Conversions.toIntStrict(value) } else { p[key] = try value.pythonStr() }
        }
        let newline = p["newline"]!, decoration = p["decoration"]!
        guard case .string(let text) = v else { throw KeelError("'\(v.typeName)' object has no attribute 'replace'") }
        var out = ""
        if !p["beginning"]!.isEmpty { out += p["beginning"]! + newline }
        if let prefix = p["prefix"], !prefix.isEmpty {
            out += String(repeating: prefix == newline ? newline : prefix + newline, count: max(0, counts["prefix_count"]!))
        }
        out += (decoration + text.replacingOccurrences(of: newline, with: newline + decoration))
            .replacingOccurrences(of: decoration + newline, with: rstrip(decoration) + newline)
        out += ([""] + Array(repeating: p["postfix"]!, count: max(0, counts["postfix_count"]!))).joined(separator: newline)
        if !p["end"]!.isEmpty { out += newline + p["end"]! }
        return .string(out)
    }

    static func rstrip(_ s: String) -> String {
        var s = Substring(s)
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
