/// The names a template reads from its context, found by walking the parsed tree (never by matching text):
/// what `keel check` needs to tell a variable nothing defines. Names the template binds itself (`set`,
/// `for`, macro parameters, `with`, imports) are left out wherever they are bound, so a name the template
/// reads before binding it counts as bound: the walk may miss a problem, never invent one.
struct FreeNames {
    let library: Library
    /// Each free name where it is first read, in the order written.
    private(set) var reads: [(name: String, position: TemplatePosition)] = []
    /// Names asked `is defined` / `is undefined`, or given a `default(...)`: the template expects them to
    /// be missing sometimes.
    private(set) var guarded = Set<String>()
    /// Reads variables by computed names (`lookup('vars', ...)`, `varnames`): nothing is certain.
    private(set) var readsByComputedName = false
    private var bound: Set<String> = ["loop", "caller", "varargs", "kwargs", "self", "super"]
    private var seen = Set<String>()
    private var extends = false
    /// Inside a block whose reads are not certain (see `.block`).
    private var blockReads = 0

    /// Functions every Ansible template can call, whether or not this engine has them (a missing function
    /// is not an undefined variable).
    static let globals: Set<String> = ["lookup", "query", "q", "range", "dict", "namespace", "lipsum", "cycler", "joiner",
                                       "now", "undef", "zip", "self"]
    static let guardTests: Set<String> = ["defined", "undefined"]
    static let guardFilters: Set<String> = ["default", "d"]
    static let computedNameLookups: Set<String> = ["vars", "varnames"]

    init(library: Library) { self.library = library }

    /// The free names of `statements`, without those bound anywhere in them.
    mutating func walk(_ statements: [Statement]) {
        for s in statements { visit(s) }
        reads = reads.filter { !bound.contains($0.name) && !Self.globals.contains($0.name) && library.functions[$0.name] == nil }
    }

    private mutating func bind(_ target: AssignTarget) {
        switch target {
        case .name(let n): bound.insert(n)
        case .tuple(let targets): targets.forEach { bind($0) }
        case .attribute: break   // a namespace attribute: the namespace was bound by its own `set`
        }
    }

    private mutating func visit(_ statements: [Statement]) { for s in statements { visit(s) } }

    private mutating func visit(_ s: Statement) {
        switch s {
        case .text, .breakLoop, .continueLoop: break
        case .output(let e, _), .doExpression(let e, _): visit(e)
        // Assigning an undefined value does not fail (using it later does, and is read there).
        case .set(let target, let e, _): bind(target); visitArgument(e)
        case .ifChain(let branches, let otherwise, _):
            for (condition, body) in branches { visit(condition); visit(body) }
            visit(otherwise)
        case .forLoop(let loop):
            bind(loop.target)
            visit(loop.iterable)
            loop.condition.map { visit($0) }
            visit(loop.body)
            visit(loop.otherwise)
        case .setBlock(let target, let filters, let body, _):
            bind(target)
            for (_, args, _) in filters { visit(args) }
            visit(body)
        case .filterBlock(let filters, let body, _):
            for (_, args, _) in filters { visit(args) }
            visit(body)
        case .macro(let def): bound.insert(def.name); visit(def)
        case .callBlock(let call, let def, _): visit(call); visit(def)
        case .with(let assignments, let body, _):
            for (target, e) in assignments { bind(target); visitArgument(e) }
            visit(body)
        // A template name may be a list whose undefined entries are skipped (first found).
        case .include(let e, _, _, _): visitArgument(e)
        case .extends(let e, _): extends = true; visitArgument(e)
        case .importModule(let e, let target, _, _): bound.insert(target); visitArgument(e)
        case .fromImport(let e, let names, _, _):
            for (_, local) in names { bound.insert(local) }
            visitArgument(e)
        case .block(let def):
            // The template a block ends up in may render it inside its own loop (`scoped`): what the block
            // reads of a template that extends another is not certain.
            if extends || def.scoped { blockReads += 1 }
            visit(def.body)
            if extends || def.scoped { blockReads -= 1 }
        }
    }

    private mutating func visit(_ def: MacroDefinition) {
        for p in def.parameters {
            bound.insert(p.name)
            p.defaultValue.map { visitArgument($0) }
        }
        visit(def.body)
    }

    /// An argument that is a variable as it is (`render(key, sshd_Port)`, `x | default(y)`) is passed on
    /// undefined without failing: the macro, filter or test may check it (`is defined`) or never look.
    private mutating func visit(_ args: Arguments) {
        args.positional.forEach { visitArgument($0) }
        args.keyword.forEach { visitArgument($0.1) }
        args.star.map { visit($0) }
        args.doubleStar.map { visit($0) }
    }

    private mutating func visitArgument(_ e: Expr) {
        switch e {
        case .name: break
        case .attribute(let b, _, _): visitArgument(b)
        case .item(let b, let k, _): visitArgument(b); visit(k)
        case .list(let items), .tuple(let items): items.forEach { visitArgument($0) }
        default: visit(e)
        }
    }

    /// The variable an expression starts from (`a` of `a.b[0] | lower`), which a guard on the whole protects.
    private static func root(_ e: Expr) -> String? {
        switch e {
        case .name(let n, _): return n
        case .attribute(let b, _, _), .item(let b, _, _), .slice(let b, _, _, _, _), .call(let b, _, _): return root(b)
        case .filter(let b?, _, _, _): return root(b)
        default: return nil
        }
    }

    private mutating func visit(_ e: Expr) {
        switch e {
        case .literal: break
        case .name(let n, let position):
            if blockReads == 0, seen.insert(n).inserted { reads.append((n, position)) }
        case .list(let items), .tuple(let items), .concat(let items, _): items.forEach { visit($0) }
        case .dict(let pairs): for (k, v) in pairs { visit(k); visit(v) }
        case .attribute(let b, _, _), .unary(_, let b, _), .not(let b): visit(b)
        case .item(let b, let k, _): visit(b); visit(k)
        case .slice(let b, let x, let y, let z, _): visit(b); [x, y, z].forEach { $0.map { visit($0) } }
        case .call(let callee, let args, _):
            if case .name(let function, _) = callee, ["lookup", "query", "q"].contains(function),
               case .literal(.string(let plugin))? = args.positional.first,
               Self.computedNameLookups.contains(Lookups.shortName(plugin)) {
                readsByComputedName = true
            }
            visit(callee); visit(args)
        case .filter(let b, let name, let args, _):
            if Self.guardFilters.contains(Library.shortName(name)), let b, let n = Self.root(b) { guarded.insert(n) }
            b.map { visit($0) }; visit(args)
        case .test(let b, let name, let args, _, _):
            if Self.guardTests.contains(Library.shortName(name)), let n = Self.root(b) { guarded.insert(n) }
            visit(b); visit(args)
        case .binary(_, let l, let r, _), .and(let l, let r), .or(let l, let r): visit(l); visit(r)
        case .compare(let f, let ops, _):
            // `'name' in vars` / `'name' not in hostvars[inventory_hostname]` asks whether a variable exists.
            if case .literal(.string(let asked)) = f, let (op, container) = ops.first, ["in", "notin"].contains(op),
               let root = Self.root(container), ["vars", "hostvars"].contains(root) {
                guarded.insert(asked)
            }
            visit(f); ops.forEach { visit($0.1) }
        case .conditional(let t, let a, let b): visit(t); visit(a); b.map { visit($0) }
        }
    }
}
