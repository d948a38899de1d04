import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `slurp`: a file's bytes from the host, base64-encoded for `register` (ansible.builtin.slurp).
/// Read-only; the bytes travel raw over the command channel and are encoded on the controller.
public struct SlurpModule: Module {
    public static let name = "slurp"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Read a file from the host (base64)",
        description: "Returns `content` (base64), `encoding` (\"base64\") and `source`. Never reports a change; decode with the b64decode filter.",
        examples: """
            - slurp: src=/etc/machine-id
              register: machine_id
            - debug: msg="{{ machine_id.content | b64decode }}"
            """)

    public struct Arguments: ModuleArguments {
        @Option("src", .path, required: true, aliases: ["path"], help: "The file to read on the host.") var src: String

        public init() {}
    }

    public typealias State = Data
    public typealias Step = Never

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> Data {
        let p = ShellQuote.quote(a.src)
        let result = try await host.run("""
            if [ -d \(p) ]; then echo "source is a directory and must be a file" >&2; exit 3; fi
            if [ ! -e \(p) ]; then echo "file not found: "\(p) >&2; exit 2; fi
            exec cat -- \(p)
            """)
        guard result.status == 0 else {
            throw KeelError("\(host.name): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return result.stdout
    }

    public func plan(_ a: Arguments, observed: Data, on host: HostContext) throws -> Plan<Never> {
        .unchanged(values: ["content": .string(observed.base64EncodedString()), "source": .string(a.src), "encoding": "base64"])
    }

    public func apply(_ plan: Plan<Never>, on host: HostContext) async throws -> Applied { .unchanged() }
}
