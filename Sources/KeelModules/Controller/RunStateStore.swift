import Foundation
import KeelBase

/// State shared by all hosts of one run, kept on the controller: an ACME account key and its URL,
/// the last nonce, a rate limit's clock. Keys live in namespaces (one per module or service) so modules
/// cannot overwrite each other's. Values are `Value`s, so they can be printed and saved.
/// Files that must outlive the run (an account key) go under `directory(for:)`, the controller's state
/// directory: KEEL_STATE_DIR, or ~/.local/state/keel (XDG_STATE_HOME when set), as mgmt's Init gives one.
public actor RunStateStore {
    private var values: [String: [String: Value]] = [:]
    public nonisolated let stateDirectory: String

    public init(stateDirectory: String? = nil) {
        self.stateDirectory = stateDirectory ?? Self.defaultStateDirectory(ProcessInfo.processInfo.environment)
    }

    public func value(_ namespace: String, _ key: String) -> Value? {
        values[namespace]?[key]
    }

    public func set(_ namespace: String, _ key: String, to value: Value?) {
        values[namespace, default: [:]][key] = value
    }

    /// Reads and replaces a value in one step, so two hosts never both take the same nonce or slot.
    @discardableResult
    public func update<T: Sendable>(_ namespace: String, _ key: String, _ body: @Sendable (inout Value?) throws -> T) rethrows -> T {
        var current = values[namespace]?[key]
        let result = try body(&current)
        values[namespace, default: [:]][key] = current
        return result
    }

    /// The namespace's directory under the state directory, made (mode 0700) when missing.
    public nonisolated func directory(for namespace: String) throws -> String {
        guard !namespace.isEmpty, !namespace.contains("/"), namespace != "..", namespace != "." else {
            throw KeelError("state namespace '\(namespace)' cannot name a directory", expected: "a name without '/'")
        }
        let path = stateDirectory + "/" + namespace
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw KeelError("cannot make the controller's state directory \(path): \(error.localizedDescription)")
        }
        return path
    }

    static func defaultStateDirectory(_ environment: [String: String]) -> String {
        if let explicit = environment["KEEL_STATE_DIR"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") { return xdg + "/keel" }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return home + "/.local/state/keel"
    }
}
