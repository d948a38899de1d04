import Testing
@testable import KeelTemplate
@Test func templateTargetBuilds() { #expect(Bool(true)) }
