import KeelBase
import OrderedCollections

/// Turns YAML nodes into typed keyword values, with an error at the node for every wrong type, and runs
/// the template syntax check on every string it accepts.
struct NodeReader: Sendable {
    var checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)?
    /// Where template problems go when the loader collects them instead of stopping at the first.
    var problemLog: LoadProblemLog?

    init(checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)?, problemLog: LoadProblemLog? = nil) {
        self.checkTemplate = checkTemplate
        self.problemLog = problemLog
    }

    static func isTemplate(_ s: String) -> Bool { s.contains("{{") || s.contains("{%") || s.contains("{#") }

    // MARK: templates

    /// Checks every template string in `node` and below. `!unsafe` values are never rendered, so they
    /// are never checked.
    func checkTemplates(in node: YAMLNode) throws {
        guard checkTemplate != nil, node.tag != "!unsafe" else { return }
        switch node.kind {
        case .scalar(.string(let s)): try check(s, at: node.location)
        case .scalar: break
        case .sequence(let items): for item in items { try checkTemplates(in: item) }
        case .mapping(let pairs): for pair in pairs { try checkTemplates(in: pair.value) }
        }
    }

    func check(_ text: String, at location: SourceLocation) throws {
        guard let checkTemplate, Self.isTemplate(text) else { return }
        try runChecker(checkTemplate, text, at: location)
    }

    /// A bare Jinja2 expression (when, changed_when, …) is checked as `{{ expr }}`; one that is already
    /// wrapped in delimiters (deprecated, but Ansible still accepts it) is checked as written.
    func checkExpression(_ expression: String, at location: SourceLocation) throws {
        guard let checkTemplate else { return }
        let text = Self.isTemplate(expression) ? expression : "{{ \(expression) }}"
        try runChecker(checkTemplate, text, at: location)
    }

    private func runChecker(_ checker: @Sendable (String, SourceLocation) throws -> Void, _ text: String,
                            at location: SourceLocation) throws {
        let problem: KeelError
        do {
            try checker(text, location)
            return
        } catch let error as KeelError {
            problem = error.located(at: location)
        } catch {
            problem = KeelError("template syntax error: \(error)", at: location, found: text)
        }
        guard let problemLog else { throw problem }
        problemLog.record(problem)
    }

    // MARK: shapes

    func typeError(_ keyword: String, _ node: YAMLNode, expected: String) -> KeelError {
        KeelError("'\(keyword)' must be \(expected)", at: node.location, expected: expected,
                  found: node.shapeDescription)
    }

    /// Any value, checked for templates.
    func value(_ node: YAMLNode) throws -> Value {
        try checkTemplates(in: node)
        return node.value
    }

    func mapping(_ node: YAMLNode, _ keyword: String) throws -> [YAMLPair] {
        if case .scalar(.null) = node.kind { return [] }
        guard let pairs = node.pairs else { throw typeError(keyword, node, expected: "a mapping") }
        return pairs
    }

    func list(_ node: YAMLNode, _ keyword: String) throws -> [YAMLNode] {
        if case .scalar(.null) = node.kind { return [] }
        guard let items = node.items else { throw typeError(keyword, node, expected: "a list") }
        return items
    }

    /// A string keyword; numbers and booleans become their text, as Ansible's string fields do.
    func string(_ node: YAMLNode, _ keyword: String) throws -> String {
        guard case .scalar(let v) = node.kind, let text = Self.scalarText(v) else {
            throw typeError(keyword, node, expected: "a string")
        }
        try check(text, at: node.location)
        return text
    }

    func optionalString(_ node: YAMLNode, _ keyword: String) throws -> String? {
        if case .scalar(.null) = node.kind { return nil }
        return try string(node, keyword)
    }

    static func scalarText(_ v: Value) -> String? {
        switch v {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .bool(let b): return b ? "True" : "False"
        default: return nil
        }
    }

    /// Ansible's boolean(): yes/no, true/false, on/off, y/n, t/f, 1/0; templates are kept.
    func bool(_ node: YAMLNode, _ keyword: String) throws -> Templatable<Bool> {
        switch node.kind {
        case .scalar(.bool(let b)): return .value(b)
        case .scalar(.int(let i)) where i == 0 || i == 1: return .value(i == 1)
        case .scalar(.string(let s)):
            if Self.isTemplate(s) { try check(s, at: node.location); return .template(s) }
            switch s.lowercased() {
            case "yes", "y", "true", "t", "on", "1": return .value(true)
            case "no", "n", "false", "f", "off", "0", "": return .value(false)
            default: break
            }
        default: break
        }
        throw typeError(keyword, node, expected: "a boolean (true/false, yes/no) or a template")
    }

    func int(_ node: YAMLNode, _ keyword: String) throws -> Templatable<Int> {
        switch node.kind {
        case .scalar(.int(let i)): return .value(i)
        case .scalar(.string(let s)):
            if Self.isTemplate(s) { try check(s, at: node.location); return .template(s) }
            if let i = Int(s.trimmingWhitespace) { return .value(i) }
        default: break
        }
        throw typeError(keyword, node, expected: "an integer or a template")
    }

    /// A number or a percentage ("30%" and 30 are the same), or a template.
    func percent(_ node: YAMLNode, _ keyword: String) throws -> Templatable<Double> {
        switch node.kind {
        case .scalar(.int(let i)): return .value(Double(i))
        case .scalar(.double(let d)): return .value(d)
        case .scalar(.string(let s)):
            if Self.isTemplate(s) { try check(s, at: node.location); return .template(s) }
            let trimmed = s.trimmingWhitespace
            if let d = Double(trimmed.hasSuffix("%") ? String(trimmed.dropLast()) : trimmed) { return .value(d) }
        default: break
        }
        throw typeError(keyword, node, expected: "a number or a percentage such as '30%'")
    }

    /// A string or a list of strings (notify, listen, hosts, collections).
    func stringList(_ node: YAMLNode, _ keyword: String) throws -> [String] {
        switch node.kind {
        case .scalar(.null): return []
        case .scalar: return [try string(node, keyword)]
        case .sequence(let items): return try items.map { try string($0, keyword) }
        case .mapping: throw typeError(keyword, node, expected: "a string or a list of strings")
        }
    }

    /// `tags:` a list, or a comma-separated string; numbers become strings.
    func tags(_ node: YAMLNode) throws -> [String] {
        if case .scalar(.string(let s)) = node.kind {
            try check(s, at: node.location)
            return s.split(separator: ",").map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
        }
        return try stringList(node, "tags")
    }

    /// `when:`-like keywords: a string, a boolean, or a list of them; each is checked as an expression.
    func conditionals(_ node: YAMLNode, _ keyword: String) throws -> [Conditional] {
        let expected = "a condition (a string or a boolean) or a list of conditions"
        func one(_ item: YAMLNode) throws -> Conditional {
            guard case .scalar(let v) = item.kind, v != .null, let text = Self.scalarText(v) else {
                throw typeError(keyword, item, expected: expected)
            }
            try checkExpression(text, at: item.location)
            return Conditional(text, at: item.location)
        }
        switch node.kind {
        case .scalar(.null): return []
        case .scalar: return [try one(node)]
        case .sequence(let items): return try items.map(one)
        case .mapping: throw typeError(keyword, node, expected: expected)
        }
    }

    /// `vars:` a mapping (or, as Ansible still accepts, a list of mappings); names must be identifiers.
    func vars(_ node: YAMLNode, owner: String) throws -> OrderedDictionary<String, Value> {
        var result = OrderedDictionary<String, Value>()
        var pairs: [YAMLPair] = []
        switch node.kind {
        case .scalar(.null): return [:]
        case .mapping(let p): pairs = p
        case .sequence(let items):
            for item in items {
                guard let p = item.pairs else { throw typeError("vars", item, expected: "a mapping of variables") }
                pairs += p
            }
        case .scalar: throw typeError("vars", node, expected: "a mapping of variables")
        }
        for pair in pairs {
            guard Self.isIdentifier(pair.key) else {
                throw KeelError("invalid variable name '\(pair.key)' in the vars of \(owner)", at: pair.keyLocation,
                                expected: "a name of letters, digits and underscores, not starting with a digit",
                                found: "'\(pair.key)'")
            }
            result[pair.key] = try value(pair.value)
        }
        return result
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || $0.properties.isAlphabetic || $0.properties.numericType != nil }
    }

    /// The mapping a variables file must hold (empty files are empty).
    func variablesFile(_ node: YAMLNode?, file: String) throws -> OrderedDictionary<String, Value> {
        guard let node else { return [:] }
        if case .scalar(.null) = node.kind { return [:] }
        guard node.pairs != nil else {
            throw KeelError("a variables file must hold a mapping", at: node.location,
                            expected: "a mapping of variable names to values", found: node.shapeDescription)
        }
        let variables = try vars(node, owner: "'\(file)'")
        if node.fromVault { SecretRedactor.shared.register(allStringsIn: .dict(variables)) }
        return variables
    }
}

/// "unknown … keyword" with the closest candidate as a suggestion.
func unknownKey(_ key: String, what: String, at location: SourceLocation, candidates: [String]) -> KeelError {
    KeelError("unknown \(what) '\(key)'", at: location, expected: "one of the \(what)s",
              found: "'\(key)'", suggestion: closestName(to: key, among: candidates))
}

/// `Suggestion.closest`, except that a candidate with exactly the same letters in another order wins:
/// swapped letters ("fiel", "whne") are the commonest typo, and plain edit distance counts a swap as two
/// edits, which ties "fiel" with "fail".
func closestName<S: Sequence>(to word: String, among candidates: S) -> String? where S.Element == String {
    let letters = word.lowercased().sorted()
    let swapped = candidates.filter {
        $0.count == word.count && $0.lowercased().sorted() == letters && Suggestion.editDistance(word, $0) <= 2
    }
    return swapped.min() ?? Suggestion.closest(to: word, among: candidates)
}
