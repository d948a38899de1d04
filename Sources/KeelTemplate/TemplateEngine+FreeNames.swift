import KeelBase

/// What a template reads from its variables, for checks that run before any host is known (`keel check`'s
/// certainly undefined variables).
public struct TemplateReads: Sendable {
    public struct Read: Sendable, Equatable {
        public var name: String
        /// Where the name is written (nil when the template has no origin).
        public var location: SourceLocation?
        /// The same place within the source text itself, 1-based.
        public var line: Int
        public var column: Int
    }

    /// Each name the template reads and does not bind itself, where it is first read.
    public var reads: [Read]
    /// Names the template expects may be missing (`is defined`, `is undefined`, `default(...)`, `d(...)`).
    public var guarded: Set<String>
    /// The template reads variables by computed names (`lookup('vars', name)`), so any name may be meant.
    public var readsByComputedName: Bool
}

extension TemplateEngine {
    /// The variables `source` reads, from the engine's own parse of it. `expression` parses a bare expression
    /// (`when:`) as `evaluate(expression:)` does. Throws the syntax error a render would.
    public func reads(in source: String, origin: SourceLocation?, expression: Bool = false,
                      options: TemplateOptions? = nil) throws -> TemplateReads {
        let parsed = try parse(source, origin: origin, bareExpression: expression, options: options)
        let library = state.withLock { $0.library }
        var walker = FreeNames(library: library)
        walker.walk(parsed.statements)
        let reads = walker.reads.map { name, position -> TemplateReads.Read in
            var position = position
            // A bare expression is parsed inside "{{" and "}}": its first line is two columns further.
            if expression, position.line == 1 { position.column = max(1, position.column - 2) }
            return TemplateReads.Read(name: name, location: TemplateEngine.shift(origin, position), line: position.line, column: position.column)
        }
        return TemplateReads(reads: reads, guarded: walker.guarded, readsByComputedName: walker.readsByComputedName)
    }
}
