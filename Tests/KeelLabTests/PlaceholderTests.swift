import Testing
@Test func labPlaceholder() { #expect(Bool(true)) }
