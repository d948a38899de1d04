import Foundation
import KeelBase
import Testing
@testable import KeelEngine

/// assert's `that` given as one string is one expression, as ansible-core takes it (a strict list): a comma
/// inside it (a regex quantifier, a function call) must not split it into broken halves.
@Suite("assert: a string condition") struct AssertStringConditionTests {
    @Test func aStringThatWithCommasIsOneExpression() async throws {
        let harness = try PlaybookHarness(files: ["site.yml": """
            - hosts: localhost
              connection: local
              gather_facts: false
              vars: {name: app_restored}
              tasks:
                - name: holds
                  assert:
                    that: name is match('^[a-z_][a-z0-9_]{0,50}$')
                - name: a list still works
                  assert:
                    that: ["name | length > 3", "name is match('^[a-z]{1,3}')"]
                - name: fails
                  assert:
                    that: name is match('^[0-9]{1,3}$')
                    fail_msg: not a number
            """])
        let outcome = await harness.play()
        #expect(outcome.results(named: "holds").first?.status == .ok)
        #expect(outcome.results(named: "a list still works").first?.status == .ok)
        let failed = outcome.results(named: "fails").first
        #expect(failed?.status == .failed)
        #expect(failed?.message?.contains("not a number") == true, "\(String(describing: failed?.message))")
    }
}
