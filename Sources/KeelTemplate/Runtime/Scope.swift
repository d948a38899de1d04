import KeelBase

/// One level of variables: the template's top level, a loop body, a macro call, a `with` block.
/// Assignments go to the innermost scope, as Jinja2's scoping rules say (a `set` inside a loop does
/// not leak out; `namespace()` is the way out).
final class Scope {
    var variables: [String: RValue] = [:]
    let parent: Scope?
    /// Names not looked up in the parents: an included template sees the includer's variables but not
    /// its `loop` or `caller` (Jinja2 passes only assigned names).
    let hiddenFromParents: Set<String>
    init(parent: Scope?, hiddenFromParents: Set<String> = []) {
        self.parent = parent
        self.hiddenFromParents = hiddenFromParents
    }

    func lookup(_ name: String) -> RValue? {
        var scope: Scope? = self
        while let s = scope {
            if let v = s.variables[name] { return v }
            if !s.hiddenFromParents.isEmpty, s.hiddenFromParents.contains(name) { return nil }
            scope = s.parent
        }
        return nil
    }

    /// The scope that holds `name`, so in-place list/dict methods (`append`, `update`) can write back.
    func owner(of name: String) -> Scope? {
        var scope: Scope? = self
        while let s = scope {
            if s.variables[name] != nil { return s }
            if !s.hiddenFromParents.isEmpty, s.hiddenFromParents.contains(name) { return nil }
            scope = s.parent
        }
        return nil
    }
}

/// A runtime error with the place in the template where it happened.
struct TemplateRuntimeError: Error {
    var error: KeelError
    var position: TemplatePosition
    /// Where the template the position is in starts (an included file's, or the engine caller's origin).
    var origin: SourceLocation?
}

/// `break` / `continue` unwinding to the nearest loop.
enum LoopControl: Error { case breakLoop, continueLoop }
