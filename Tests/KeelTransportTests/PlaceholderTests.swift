import Testing
@Test func transportPlaceholder() { #expect(Bool(true)) }
