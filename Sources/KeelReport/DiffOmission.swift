/// Why a reported change shows no diff. Modules summarise content they will not diff (larger than their
/// diff limit, 64 KiB for files, or binary) as "(N bytes, not shown)" / "(binary, N bytes)"; when both
/// sides were summarised the same way the unified diff was empty, and `--diff` printed nothing and said
/// nothing for a changed file. Ansible says "diff skipped: source file size is greater than ..."; Keel
/// says what it left out and why.
enum DiffOmission {
    static func reason(before: String, after: String) -> String? {
        let old = summary(before), new = summary(after)
        guard old != nil || new != nil else { return nil }
        func side(_ name: String, _ text: String, _ parsed: Summary?) -> String {
            guard let parsed else { return text.isEmpty ? "\(name): nothing" : "\(name): \(text.utf8.count) bytes of text" }
            return "\(name): \(parsed.binary ? "binary, " : "")\(parsed.bytes) bytes"
        }
        let why = [old, new].contains { $0?.binary == true } && ![old, new].contains { $0?.binary == false }
            ? "binary content is not diffed"
            : "the content is too large to diff (Keel diffs files up to 64 KiB of text)"
        return "\(why); \(side("before", before, old)), \(side("after", after, new))"
    }

    struct Summary { var bytes: Int; var binary: Bool }

    /// "(123 bytes, not shown)\n" or "(binary, 123 bytes)\n".
    static func summary(_ text: String) -> Summary? {
        let line = text.hasSuffix("\n") ? String(text.dropLast()) : text
        guard line.hasPrefix("("), line.hasSuffix(")"), !line.contains("\n") else { return nil }
        let inner = line.dropFirst().dropLast()
        if inner.hasSuffix(" bytes, not shown"), let n = Int(inner.dropLast(" bytes, not shown".count)) {
            return Summary(bytes: n, binary: false)
        }
        if inner.hasPrefix("binary, "), inner.hasSuffix(" bytes"), let n = Int(inner.dropFirst("binary, ".count).dropLast(" bytes".count)) {
            return Summary(bytes: n, binary: true)
        }
        return nil
    }
}
