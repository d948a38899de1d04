import Foundation
import KeelBase
import KeelVault

/// What the controller offers modules for a whole run (Terraform's provider `Configure`, mgmt's `Init`):
/// an HTTP client, a state store shared by all hosts, and the per-host fact caches. A value whose members
/// are shared references: the engine makes one per run and puts it into every HostContext, so an ACME
/// account or a rate limit is seen by every host's task. Made fresh when absent (tests, `keel doc`).
public struct ControllerServices: Sendable {
    public let http: HTTPClient
    public let state: RunStateStore
    public let facts: FactCaches

    public init(http: HTTPClient = HTTPClient(), state: RunStateStore = RunStateStore(), facts: FactCaches = FactCaches()) {
        self.http = http
        self.state = state
        self.facts = facts
    }
}

extension ControllerFiles {
    /// A controller file named by a task (`src:`), found as `find` finds it, with its bytes. `what` names
    /// it in the error ("src", "the script"), which says where it was looked for. A vault-encrypted file
    /// is decrypted unless `decrypt` is false.
    public func read(_ path: String, kind: String, what: String = "src", decrypt: Bool = true) throws -> (path: String, data: Data) {
        guard let found = find(path, kind: kind) else {
            let places = searchPaths.map { $0 + "/" + kind } + (searchPaths.isEmpty ? ["the current directory"] : [])
            throw KeelError("could not find \(what) '\(path)'", expected: "a file in \(places.joined(separator: ", ")) or a path",
                            found: "nothing")
        }
        guard let data = FileManager.default.contents(atPath: found) else { throw KeelError("cannot read \(found)") }
        return (found, decrypt ? try VaultedFile.plaintext(data, path: found) : data)
    }
}
