extension Value {
    /// Indented JSON as Python's `json.dumps(value, sort_keys=True, indent=4)` prints it (ansible-inventory,
    /// debug output), non-ASCII kept.
    public func prettyJSON(indent: Int = 4, sortedKeys: Bool = true) -> String {
        var out = ""
        writePretty(into: &out, level: 0, indent: indent, sortedKeys: sortedKeys)
        return out
    }

    private func writePretty(into out: inout String, level: Int, indent: Int, sortedKeys: Bool) {
        let pad = String(repeating: " ", count: (level + 1) * indent)
        let closePad = String(repeating: " ", count: level * indent)
        switch self {
        case .list(let items) where !items.isEmpty:
            out += "[\n"
            for (i, item) in items.enumerated() {
                out += pad
                item.writePretty(into: &out, level: level + 1, indent: indent, sortedKeys: sortedKeys)
                out += i == items.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "]"
        case .dict(let dict) where !dict.isEmpty:
            out += "{\n"
            let keys = sortedKeys ? dict.keys.sorted() : Array(dict.keys)
            for (i, key) in keys.enumerated() {
                out += pad + Value.jsonQuote(key, ensureASCII: false) + ": "
                dict[key]!.writePretty(into: &out, level: level + 1, indent: indent, sortedKeys: sortedKeys)
                out += i == keys.count - 1 ? "\n" : ",\n"
            }
            out += closePad + "}"
        case .string(let s):
            out += Value.jsonQuote(s, ensureASCII: false)   // ansible-inventory prints non-ASCII as is
        default:
            out += jsonString()
        }
    }
}
