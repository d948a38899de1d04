import Foundation
import KeelBase
import OrderedCollections

/// sequence: numbers as formatted strings. Each term is `key=value` pairs (start, end, count, stride,
/// format) or the shortcut `[start-]end[/stride][:format]`; keyword arguments give the defaults for
/// every term. As in ansible-core 2.19, numbers are decimal (its integer options refuse 0x10), `count=0`
/// and `stride=0` give nothing, and `count` with a stride counts that many strides.
enum SequenceLookup {
    static let all: [String: LookupBody] = [
        "sequence": { terms, options, _ in try sequence(terms, options) },
    ]

    static let fields = ["start", "end", "count", "stride", "format"]

    static func sequence(_ terms: [Value], _ given: OrderedDictionary<String, Value>) throws -> [Value] {
        let defaults: OrderedDictionary<String, Value> = ["start": 1, "end": .null, "count": .null, "stride": 1, "format": "%d"]
        var result: [Value] = []
        for term in (terms.isEmpty && !given.isEmpty ? [""] : terms) {
            var options = try LookupOptions("sequence", defaults: defaults, given: given)
            let text = try term.lookupTerm("sequence")
            if let shortcut = shortcut(text) {
                for (key, value) in shortcut { try options.set(key, .string(value)) }
            } else {
                for (key, value) in try KeyValueText.parse(text) {
                    guard fields.contains(key) else { throw KeelError("unrecognized arguments to with_sequence: ['\(key)']", expected: fields.joined(separator: ", "), found: key) }
                    try options.set(key, .string(value))
                }
            }
            result += try generate(options)
        }
        return result
    }

    /// `[start-]end[/stride][:format]`, as the regular expression ansible-core matches it with.
    static func shortcut(_ text: String) -> [(String, String)]? {
        let number = "(0?x?[0-9a-f]+)"
        guard let regex = try? NSRegularExpression(pattern: "^(\(number)-)?\(number)(/\(number))?(:(.+))?$", options: [.caseInsensitive, .dotMatchesLineSeparators]),
              let match = regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) else { return nil }
        func group(_ i: Int) -> String? { Range(match.range(at: i), in: text).map { String(text[$0]) } }
        var pairs: [(String, String)] = []
        if let start = group(2) { pairs.append(("start", start)) }
        if let end = group(3) { pairs.append(("end", end)) }
        if let stride = group(5) { pairs.append(("stride", stride)) }
        if let format = group(7) { pairs.append(("format", format)) }
        return pairs
    }

    static func generate(_ options: LookupOptions) throws -> [Value] {
        func integer(_ key: String) throws -> Int? {
            if options[key].isNull { return nil }
            if let i = options[key].intValue { return i }
            guard let s = options.string(key), let i = Int(s.trimmingCharacters(in: .whitespaces)) else {
                throw KeelError("Config '\(key)' for 'sequence' lookup plugin has an invalid value", expected: "a decimal integer", found: options.string(key) ?? options[key].typeName)
            }
            return i
        }
        let start = try integer("start") ?? 1, stride = try integer("stride") ?? 1, count = try integer("count")
        var end = try integer("end")
        let format = options.string("format") ?? "%d"
        switch (count, end) {
        case (nil, nil): throw KeelError("must specify count or end in with_sequence")
        case (.some, .some): throw KeelError("can't specify both count and end in with_sequence")
        case (let count?, nil):
            if count == 0 { return [] }
            end = start + count * stride - 1
        default: break
        }
        let last = end!
        if stride > 0 && last < start { throw KeelError("to count backwards make stride negative", found: "start=\(start) end=\(last) stride=\(stride)") }
        if stride < 0 && last > start { throw KeelError("to count forward don't make stride negative", found: "start=\(start) end=\(last) stride=\(stride)") }
        if stride == 0 { return [] }
        if format.filter({ $0 == "%" }).count != 1 { throw KeelError("bad formatting string: \(format)") }
        return try Swift.stride(from: start, to: last + (stride > 0 ? 1 : -1), by: stride).map { i in
            do { return .string(try PythonFormat.percent(format, .int(i))) } catch {
                throw KeelError("problem formatting \(i) with '\(format)'")
            }
        }
    }
}
