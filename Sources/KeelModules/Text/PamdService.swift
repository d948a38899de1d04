import Foundation

/// A PAM service file as community.general.pamd models it: comments, @include lines, blank lines and
/// rules (type, control, module path, arguments), with its edits (update, insert before/after, add or
/// remove arguments, remove) done the way its linked list does them, quirks included: inserting between
/// two rules drops the comments between them, and every rule is written back in the canonical
/// `type(padded to 11)control path args` form under an `# Updated by Ansible` line.
struct PamdService {
    static let validTypes = ["account", "-account", "auth", "-auth", "password", "-password", "session", "-session"]
    static let simpleControls = ["required", "requisite", "sufficient", "optional", "include", "substack", "definitive"]
    static let controlValues = ["success", "open_err", "symbol_err", "service_err", "system_err", "buf_err", "perm_denied", "auth_err",
                                "cred_insufficient", "authinfo_unavail", "user_unknown", "maxtries", "new_authtok_reqd", "acct_expired",
                                "session_err", "cred_unavail", "cred_expired", "cred_err", "no_module_data", "conv_err", "authtok_err",
                                "authtok_recover_err", "authtok_lock_busy", "authtok_disable_aging", "try_again", "ignore", "abort",
                                "authtok_expired", "module_unknown", "bad_item", "conv_again", "incomplete", "default"]
    static let controlActions = ["ignore", "bad", "die", "ok", "done", "reset"]

    struct Rule: Equatable {
        var type: String
        /// A simple control (`required`) or the `value=action` items of a bracketed one.
        var simpleControl: String?
        var controlItems: [String] = []
        var path: String
        var args: [String]

        init(type: String, control: String, path: String, args: [String]) {
            self.type = type
            self.path = path
            self.args = PamdService.arguments(args)
            self.control = control
        }

        var control: String {
            get { simpleControl ?? "[" + controlItems.joined(separator: " ") + "]" }
            set {
                if newValue.hasPrefix("[") {
                    simpleControl = nil
                    let inner = newValue.replacingOccurrences(of: " = ", with: "=").replacingOccurrences(of: "[", with: "").replacingOccurrences(of: "]", with: "")
                    controlItems = inner.components(separatedBy: " ")
                } else { simpleControl = newValue; controlItems = [] }
            }
        }

        func matches(_ type: String, _ control: String, _ path: String) -> Bool { self.type == type && self.control == control && self.path == path }

        var text: String {
            let padded = type.count < 11 ? type + String(repeating: " ", count: 11 - type.count) : type
            return args.isEmpty ? "\(padded)\(control) \(path)" : "\(padded)\(control) \(path) \(args.joined(separator: " "))"
        }

        var problem: String? {
            if !PamdService.validTypes.contains(type) { return "Rule type, \(type), is not valid in rule \(text)" }
            if let simple = simpleControl {
                if !PamdService.simpleControls.contains(simple) { return "Rule control, \(simple), is not valid in rule \(text)" }
            } else {
                for item in controlItems {
                    let parts = item.components(separatedBy: "=")
                    guard parts.count == 2 else { return "Rule control, \(item), is not valid in rule \(text)" }
                    if !PamdService.controlValues.contains(parts[0]) { return "Rule control value, \(parts[0]), is not valid in rule \(text)" }
                    if !PamdService.controlActions.contains(parts[1]) && !(Int(parts[1]).map { $0 >= 0 } ?? false) {
                        return "Rule control action, \(parts[1]), is not valid in rule \(text)"
                    }
                }
            }
            return nil
        }
    }

    enum Line: Equatable {
        case comment(String), include(String), empty(String), rule(Rule)
        var text: String {
            switch self { case .comment(let t), .include(let t), .empty(let t): t; case .rule(let r): r.text }
        }
        var rule: Rule? { if case .rule(let r) = self { r } else { nil } }
        var isCommentOrEmpty: Bool { switch self { case .comment, .empty: true; default: false } }
    }

    /// Lines with identities, so edits can find "the same rule" after others moved it.
    var lines: [(id: Int, line: Line)] = []
    private var nextID = 0

    private static let ruleRegex = try! NSRegularExpression(pattern: #"(-?(?:auth|account|session|password))\s+(\[.*\]|\S*)\s+(\S*)\s*(.*)\s*"#)
    private static let argRegex = try! NSRegularExpression(pattern: #"(\[.*\]|\S*)"#)

    /// parse_module_arguments: each string split into words, a `[...]` (to the last `]`) being one word.
    static func arguments(_ items: [String]) -> [String] {
        if items.count == 1 && items[0].isEmpty { return [] }
        return items.flatMap { item -> [String] in
            let ns = item as NSString
            return argRegex.matches(in: item, range: NSRange(location: 0, length: ns.length)).map { ns.substring(with: $0.range) }.filter { !$0.isEmpty }
        }
    }

    init(_ content: String) throws {
        // str.splitlines: \n, \r\n, \r and the other Unicode line boundaries.
        var rawLines: [String] = []
        content.enumerateLines { line, _ in rawLines.append(line) }
        for raw in rawLines {
            let trimmedLeft = raw.drop(while: { $0.isWhitespace })
            if trimmedLeft.hasPrefix("#") { append(.comment(raw)) }
            else if trimmedLeft.hasPrefix("@include") { append(.include(raw)) }
            else if raw.trimmingCharacters(in: .whitespaces).isEmpty { append(.empty(raw)) }
            else {
                let ns = raw as NSString
                guard let m = Self.ruleRegex.firstMatch(in: raw, range: NSRange(location: 0, length: ns.length)) else {
                    throw PamdError(message: "not a PAM rule: \(raw)")
                }
                append(.rule(Rule(type: ns.substring(with: m.range(at: 1)), control: ns.substring(with: m.range(at: 2)),
                                  path: ns.substring(with: m.range(at: 3)), args: [ns.substring(with: m.range(at: 4))])))
            }
        }
    }

    struct PamdError: Error, CustomStringConvertible { var message: String; var description: String { message } }

    mutating func append(_ line: Line) { lines.append((nextID, line)); nextID += 1 }
    private mutating func make(_ line: Line) -> (id: Int, line: Line) { defer { nextID += 1 }; return (nextID, line) }
    private func index(of id: Int) -> Int? { lines.firstIndex { $0.id == id } }
    private func matching(_ type: String, _ control: String, _ path: String) -> [Int] {
        lines.filter { $0.line.rule?.matches(type, control, path) == true }.map(\.id)
    }

    mutating func remove(_ type: String, _ control: String, _ path: String) -> Int {
        let before = lines.count
        lines.removeAll { $0.line.rule?.matches(type, control, path) == true }
        return before - lines.count
    }

    mutating func update(_ type: String, _ control: String, _ path: String, newType: String?, newControl: String?, newPath: String?, newArgs: [String]?) -> Int {
        let parsed = newArgs.map(Self.arguments)
        var changes = 0
        for id in matching(type, control, path) {
            guard let i = index(of: id), var rule = lines[i].line.rule else { continue }
            var changed = false
            if let t = newType, !t.isEmpty, rule.type != t { rule.type = t; changed = true }
            if let c = newControl, !c.isEmpty, rule.control != c { rule.control = c; changed = true }
            if let p = newPath, !p.isEmpty, rule.path != p { rule.path = p; changed = true }
            if let a = parsed, rule.args != a { rule.args = Self.arguments(a); changed = true }
            lines[i].line = .rule(rule)
            if changed { changes += 1 }
        }
        return changes
    }

    mutating func insertBefore(_ type: String, _ control: String, _ path: String, new: Rule) -> Int {
        var changes = 0
        for id in matching(type, control, path) {
            guard let current = index(of: id) else { continue }
            var previous = current - 1
            while previous >= 0, lines[previous].line.isCommentOrEmpty { previous -= 1 }
            if previous >= 0 {
                guard lines[previous].line.rule?.matches(new.type, new.control, new.path) != true else { continue }
                // The new rule is linked straight after the previous rule: what lay between is dropped.
                lines.replaceSubrange((previous + 1)..<current, with: [make(.rule(new))])
            } else {
                lines.insert(make(.rule(new)), at: current)
            }
            changes += 1
        }
        return changes
    }

    mutating func insertAfter(_ type: String, _ control: String, _ path: String, new: Rule) -> Int {
        var changes = 0
        for id in matching(type, control, path) {
            guard let current = index(of: id) else { continue }
            var next = current + 1
            while next < lines.count, lines[next].line.isCommentOrEmpty { next += 1 }
            if next < lines.count {
                guard lines[next].line.rule?.matches(new.type, new.control, new.path) != true else { continue }
                lines.replaceSubrange((current + 1)..<next, with: [make(.rule(new))])
            } else {
                // Appended at the end and linked from the rule: trailing comments after it are dropped.
                lines.replaceSubrange((current + 1)..<lines.count, with: [make(.rule(new))])
            }
            changes += 1
        }
        return changes
    }

    static func split(_ args: [String]) -> (simple: [String], keyed: [(String, String)]) {
        var simple: [String] = [], keyed: [(String, String)] = []
        for arg in args where !arg.hasPrefix("[") {
            if let eq = arg.firstIndex(of: "=") {
                let key = String(arg[..<eq]), value = String(arg[arg.index(after: eq)...])
                keyed.removeAll { $0.0 == key }
                keyed.append((key, value))
            } else if !simple.contains(arg) { simple.append(arg) }
        }
        return (simple, keyed)
    }

    mutating func addArguments(_ type: String, _ control: String, _ path: String, _ args: [String]) -> Int {
        let wanted = Self.split(Self.arguments(args))
        var changes = 0
        for id in matching(type, control, path) {
            guard let i = index(of: id), var rule = lines[i].line.rule else { continue }
            let current = Self.split(rule.args)
            var changed = false
            var additions = wanted.simple.filter { !current.simple.contains($0) }
            additions += wanted.keyed.filter { key, _ in !current.keyed.contains { $0.0 == key } }.map { "\($0.0)=\($0.1)" }
            if !additions.isEmpty { rule.args += additions; changed = true }
            for (key, value) in wanted.keyed {
                guard let old = current.keyed.first(where: { $0.0 == key })?.1, old != value,
                      let position = rule.args.firstIndex(of: "\(key)=\(old)") else { continue }
                rule.args[position] = "\(key)=\(value)"
                changed = true
            }
            lines[i].line = .rule(rule)
            if changed { changes += 1 }
        }
        return changes
    }

    mutating func removeArguments(_ type: String, _ control: String, _ path: String, _ args: [String]) -> Int {
        let unwanted = Self.arguments(args)
        var changes = 0
        for id in matching(type, control, path) {
            guard let i = index(of: id), var rule = lines[i].line.rule, rule.args.contains(where: unwanted.contains) else { continue }
            rule.args.removeAll(where: unwanted.contains)
            lines[i].line = .rule(rule)
            changes += 1
        }
        return changes
    }

    var problem: String? { lines.lazy.compactMap { $0.line.rule?.problem }.first }

    /// The file as Ansible writes it, with `mark` (`# Updated by Ansible - DATE`) as its second line.
    func text(mark: String) -> String {
        var out = lines.map(\.line.text)
        if out.count <= 1 {
            out.insert("", at: 0)
            out.insert(mark, at: 1)
        } else if out[1].hasPrefix("# Updated by Ansible") {
            out[1] = mark
        } else {
            out.insert(mark, at: 1)
        }
        return out.joined(separator: "\n") + "\n"
    }
}
