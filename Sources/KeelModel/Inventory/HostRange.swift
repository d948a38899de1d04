import KeelBase

/// Expands `web[01:20].example.com`, `db-[a:c]` and `node[0:10:2]` into host names, as Ansible's
/// inventory plugins do: a leading zero fixes the width, letters run through a-zA-Z, the optional third
/// number is a step, and several ranges in one name multiply out left to right.
enum HostRange {
    static let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")

    /// Host names for `pattern`; a pattern without '[' is itself.
    static func expand(_ pattern: String) throws -> [String] {
        guard let open = pattern.firstIndex(of: "[") else { return [pattern] }
        guard let close = pattern[open...].firstIndex(of: "]") else {
            throw KeelError("a host range is missing its closing ']'", expected: "a range like name[01:10]", found: pattern)
        }
        let head = pattern[..<open]
        let tail = pattern[pattern.index(after: close)...]
        let bounds = pattern[pattern.index(after: open)..<close].split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard bounds.count == 2 || bounds.count == 3 else {
            throw KeelError("host range must be begin:end or begin:end:step", expected: "[begin:end] or [begin:end:step]", found: pattern)
        }
        let begin = bounds[0].isEmpty ? "0" : bounds[0]
        let end = bounds[1]
        guard !end.isEmpty else {
            throw KeelError("host range must specify end value", expected: "[begin:end]", found: pattern)
        }
        let stepText = bounds.count == 3 ? bounds[2] : "1"
        guard let step = Int(stepText), step > 0 else {
            throw KeelError("host range step must be a positive integer", expected: "[begin:end:step]", found: pattern)
        }
        var width: Int?
        if begin.hasPrefix("0") && begin.count > 1 {
            guard begin.count == end.count else {
                throw KeelError("host range must specify equal-length begin and end formats",
                                expected: "as many digits in the end as in '\(begin)'", found: pattern)
            }
            width = begin.count
        }
        var items: [String] = []
        if begin.count == 1, end.count == 1, let b = letters.firstIndex(of: begin.first!), let e = letters.firstIndex(of: end.first!) {
            guard b <= e else { throw KeelError("host range must have begin <= end", found: pattern) }
            items = stride(from: b, through: e, by: step).map { String(letters[$0]) }
        } else {
            guard let b = Int(begin), let e = Int(end) else {
                throw KeelError("host range bounds must be numbers or single letters", expected: "[01:10] or [a:f]", found: pattern)
            }
            items = stride(from: b, through: e, by: step).map { n in
                let digits = String(n)
                guard let width, digits.count < width else { return digits }
                return String(repeating: "0", count: width - digits.count) + digits
            }
        }
        var names: [String] = []
        for item in items { names += try expand(head + item + tail) }
        return names
    }
}
