/// An error a person can act on: where it happened, what was wrong, what was expected instead, and
/// (when we can guess) what they probably meant. Every layer throws these for bad input rather than
/// bare strings, so the CLI can print them the same way everywhere.
public struct KeelError: Error, Sendable, CustomStringConvertible, Equatable {
    public var location: SourceLocation?
    public var message: String
    public var expected: String?
    public var found: String?
    public var suggestion: String?

    public init(_ message: String, at location: SourceLocation? = nil, expected: String? = nil,
                found: String? = nil, suggestion: String? = nil) {
        self.message = message
        self.location = location
        self.expected = expected
        self.found = found
        self.suggestion = suggestion
    }

    /// `file:line:column: error: message`, then the expected/found/suggestion lines, indented.
    public var description: String {
        var text = location.map { "\($0): error: " } ?? "error: "
        text += message
        if let expected { text += "\n  expected: \(expected)" }
        if let found { text += "\n  found: \(found)" }
        if let suggestion { text += "\n  did you mean '\(suggestion)'?" }
        return text
    }

    /// The same error anchored somewhere else; keeps an existing location (the innermost one wins).
    public func located(at fallback: SourceLocation?) -> KeelError {
        var copy = self
        if copy.location == nil { copy.location = fallback }
        return copy
    }
}
