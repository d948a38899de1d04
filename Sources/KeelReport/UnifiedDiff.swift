/// Unified diffs (`diff -u` format) between two texts, computed with Myers' O(ND) algorithm so large,
/// mostly-equal config files diff quickly.
public enum UnifiedDiff {
    /// The diff as text with `---`/`+++` headers and `@@` hunks; empty when the texts are equal.
    public static func render(before: String, after: String, fromLabel: String = "before", toLabel: String = "after",
                              context: Int = 3) -> String {
        let a = lines(before), b = lines(after)
        let script = editScript(a, b)
        guard script.contains(where: { $0.kind != .equal }) else { return "" }
        var out = "--- \(fromLabel)\n+++ \(toLabel)\n"
        for hunk in hunks(script, context: context) {
            let oldStart = hunk.first { $0.kind != .insert }.map { $0.oldIndex + 1 } ?? (hunk.first!.oldIndex)
            let newStart = hunk.first { $0.kind != .delete }.map { $0.newIndex + 1 } ?? (hunk.first!.newIndex)
            let oldCount = hunk.filter { $0.kind != .insert }.count
            let newCount = hunk.filter { $0.kind != .delete }.count
            out += "@@ -\(range(oldStart, oldCount)) +\(range(newStart, newCount)) @@\n"
            for edit in hunk {
                switch edit.kind {
                case .equal: out += " " + edit.text
                case .delete: out += "-" + edit.text
                case .insert: out += "+" + edit.text
                }
                if !edit.text.hasSuffix("\n") { out += "\n\\ No newline at end of file\n" }
            }
        }
        return out
    }

    static func range(_ start: Int, _ count: Int) -> String {
        count == 1 ? "\(start)" : "\(count == 0 ? start : start),\(count)"
    }

    /// Lines including their terminators, so a missing final newline shows.
    static func lines(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        for c in text {
            current.append(c)
            if c == "\n" { result.append(current); current = "" }
        }
        if !current.isEmpty { result.append(current) }
        return result
    }

    struct Edit {
        enum Kind { case equal, delete, insert }
        var kind: Kind
        var text: String
        var oldIndex: Int
        var newIndex: Int
    }

    /// The shortest edit script from a to b.
    static func editScript(_ a: [String], _ b: [String]) -> [Edit] {
        let n = a.count, m = b.count
        let max = n + m
        var v = [Int](repeating: 0, count: 2 * max + 2)
        var trace: [[Int]] = []
        outer: for d in 0...max {
            trace.append(v)
            for k in stride(from: -d, through: d, by: 2) {
                var x: Int
                if k == -d || (k != d && v[max + k - 1] < v[max + k + 1]) { x = v[max + k + 1] } else { x = v[max + k - 1] + 1 }
                var y = x - k
                while x < n && y < m && a[x] == b[y] { x += 1; y += 1 }
                v[max + k] = x
                if x >= n && y >= m { trace.append(v); break outer }
            }
        }
        // Walk the trace backwards to recover the path.
        var edits: [Edit] = []
        var x = n, y = m
        for d in stride(from: trace.count - 2, through: 0, by: -1) {
            let v = trace[d]
            let k = x - y
            let prevK = (k == -d || (k != d && v[max + k - 1] < v[max + k + 1])) ? k + 1 : k - 1
            let prevX = d == 0 ? 0 : v[max + prevK]
            let prevY = prevX - prevK
            while x > prevX && y > prevY {
                x -= 1; y -= 1
                edits.append(Edit(kind: .equal, text: a[x], oldIndex: x, newIndex: y))
            }
            if d > 0 {
                if x == prevX { y -= 1; edits.append(Edit(kind: .insert, text: b[y], oldIndex: x, newIndex: y)) }
                else { x -= 1; edits.append(Edit(kind: .delete, text: a[x], oldIndex: x, newIndex: y)) }
            }
        }
        while x > 0 && y > 0 { x -= 1; y -= 1; edits.append(Edit(kind: .equal, text: a[x], oldIndex: x, newIndex: y)) }
        return edits.reversed()
    }

    /// Groups changes with `context` equal lines around them; nearby groups merge.
    static func hunks(_ script: [Edit], context: Int) -> [[Edit]] {
        let changed = script.indices.filter { script[$0].kind != .equal }
        guard !changed.isEmpty else { return [] }
        var hunks: [[Edit]] = []
        var start = max(0, changed[0] - context)
        var end = min(script.count - 1, changed[0] + context)
        for index in changed.dropFirst() {
            if index - context <= end + 1 {
                end = min(script.count - 1, index + context)
            } else {
                hunks.append(Array(script[start...end]))
                start = max(0, index - context)
                end = min(script.count - 1, index + context)
            }
        }
        hunks.append(Array(script[start...end]))
        return hunks
    }
}
