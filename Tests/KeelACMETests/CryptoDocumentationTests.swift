import KeelBase
import KeelModel
import KeelModules
import OrderedCollections
import Testing

/// `keel doc` for acme and every community.crypto helper: a summary, examples the module accepts, and its
/// differences from community.crypto (issue 19's "keel doc documents the modules and their differences").
@Suite("acme and crypto modules document their differences from community.crypto") struct CryptoDocumentationTests {
    static let expected = ["acme", "openssl_csr", "openssl_csr_info", "openssl_csr_pipe", "openssl_dhparam", "openssl_privatekey",
                           "openssl_privatekey_info", "x509_certificate", "x509_certificate_info", "x509_certificate_pipe"]

    /// The registered modules this issue added: acme, and those that stand in for a community.crypto module.
    static var runners: [ModuleRunner] {
        StandardModules.all.map { ModuleRunner($0) }
            .filter { $0.name == "acme" || $0.aliases.contains { $0.hasPrefix("community.crypto.") } }
    }

    @Test func everyModuleHasASummaryExamplesAndItsDifferences() throws {
        #expect(Self.runners.map(\.name).sorted() == Self.expected, "a crypto module is missing from this test, or is not registered")
        for runner in Self.runners {
            let page = ModuleDocRenderer.render(runner)
            #expect(!runner.documentation.summary.isEmpty && page.contains("\nEXAMPLES\n"), "keel doc \(runner.name): no summary or examples")
            guard let differences = page.components(separatedBy: "DIFFERENCES FROM ANSIBLE").dropFirst().first else {
                Issue.record("keel doc \(runner.name) has no differences section"); continue
            }
            #expect(differences.contains("community.crypto"), "keel doc \(runner.name): the differences do not name community.crypto")
        }
    }

    /// Each example task of a module passes that module's own argument validation (free-form key=value included).
    @Test func theExamplesAreAcceptedByTheirModules() throws {
        for runner in Self.runners {
            let names = Set([runner.name] + runner.aliases)
            let tasks = try YAMLLoader.load(string: runner.documentation.examples, file: "keel doc \(runner.name)")?.items ?? []
            var checked = 0
            for task in tasks {
                for pair in task.pairs ?? [] where names.contains(pair.key) {
                    try runner.validate(Self.arguments(pair.value.value), at: pair.value.location)
                    checked += 1
                }
            }
            #expect(checked > 0, "keel doc \(runner.name): no example uses the module")
        }
    }

    static func arguments(_ value: Value) -> OrderedDictionary<String, Value> {
        if case .dict(let dict) = value { return dict }
        var arguments: OrderedDictionary<String, Value> = [:]
        for word in (value.stringValue ?? "").split(separator: " ") {
            let parts = word.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { arguments[String(parts[0])] = .string(String(parts[1])) }
        }
        return arguments
    }
}
