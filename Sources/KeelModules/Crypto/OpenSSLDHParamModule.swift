import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `openssl_dhparam` (community.crypto): Diffie-Hellman parameters made on the host by its openssl (the
/// one community.crypto helper that shells out: generating safe primes is openssl's job, and slow), kept
/// while they have the asked size.
public struct OpenSSLDHParamModule: Module {
    public static let name = "openssl_dhparam"
    public static let aliases = ["community.crypto.openssl_dhparam"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Diffie-Hellman parameters on the host (openssl dhparam)",
        description: "Reads the parameters at `path` with `openssl dhparam -text`; when they are missing, unreadable or of another size, runs `openssl dhparam` on the host into a temporary file and renames it into place (mode 0644). 4096-bit parameters can take minutes.",
        examples: """
            - openssl_dhparam:
                path: /etc/haproxy/dhparams.pem
                size: 2048
            """,
        deviations: ["Compared with community.crypto.openssl_dhparam: needs openssl on the host (community.crypto can also use Python's cryptography); no backup, no return_content, no select_crypto_backend; the file is written 0644 as the connecting user (no mode, owner, group)."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, required: true, help: "The parameters file on the host.") var path: String
        @Option("size", .int, default: 4096, help: "Size of the prime in bits.") var size: Int
        @Option("state", .string, default: "present", choices: ["present", "absent"], help: "present or absent.") var state: String
        @Option("force", .bool, default: false, help: "Make new parameters on every run.") var force: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable { var exists: Bool; var size: Int? }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case generate(path: String, size: Int)
        case remove(String)
        public var description: String {
            switch self {
            case .generate(let path, let size): return "openssl dhparam \(size) into \(path)"
            case .remove(let path): return "remove \(path)"
            }
        }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let p = ShellQuote.quote(a.path)
        let out = try await host.runChecked("""
            if [ -e \(p) ]; then echo exists
              command -v openssl >/dev/null 2>&1 && openssl dhparam -in \(p) -noout -text 2>/dev/null | head -n 1
            fi; true
            """, failure: "cannot read \(a.path)").stdoutText
        // "DH Parameters: (2048 bit)" (OpenSSL 1.1) or "    DH Parameters: (2048 bit)" (3.x)
        let size = out.range(of: #"\((\d+) bit\)"#, options: .regularExpression).flatMap { Int(out[$0].dropFirst().prefix { $0.isNumber }) }
        return State(exists: out.hasPrefix("exists"), size: size)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["filename": .string(a.path), "size": .int(a.size)]
        if a.state == "absent" { return observed.exists ? Plan(steps: [.remove(a.path)], values: values) : .unchanged(values: values) }
        guard a.force || observed.size != a.size else { return .unchanged(values: values) }
        let before = observed.exists ? (observed.size.map { "\($0) bit\n" } ?? "(unreadable)\n") : "(absent)\n"
        return Plan(steps: [.generate(path: a.path, size: a.size)], diffs: [Diff(label: a.path, before: before, after: "\(a.size) bit\n")], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .remove(let path): try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
            case .generate(let path, let size):
                let p = ShellQuote.quote(path)
                try await host.runChecked("""
                    set -e
                    command -v openssl >/dev/null 2>&1 || { echo "openssl is not installed on the host" >&2; exit 127; }
                    tmp=\(p).keel-tmp.$$
                    trap 'rm -f -- "$tmp"' EXIT
                    openssl dhparam -out "$tmp" \(size) 2>/dev/null
                    chmod 644 "$tmp"
                    mv -f -- "$tmp" \(p)
                    trap - EXIT
                    """, failure: "cannot make DH parameters at \(path)")
            }
        }
        return .changed()
    }
}
