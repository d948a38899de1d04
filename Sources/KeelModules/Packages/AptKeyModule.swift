import Crypto
import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `apt_key`: an APT signing key is trusted (ansible.builtin.apt_key), the way current Debian and Ubuntu
/// want it: the key in its own file under /etc/apt/trusted.gpg.d (armored keys as .asc, binary as .gpg),
/// not appended to the deprecated trusted.gpg with apt-key. Compared by SHA-256 in one round trip.
public struct AptKeyModule: Module {
    public static let name = "apt_key"
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["data", "file", "url", "keyserver"]])
    public static let documentation = ModuleDocumentation(
        summary: "Trust an APT signing key (as a file in trusted.gpg.d)",
        description: """
            Writes the key (from `data`, or a `file` already on the host) into its own keyring file, atomically and with mode \
            0644, when the file's SHA-256 differs; state=absent removes that file. No gpg is needed on the host: apt reads \
            armored .asc and binary .gpg files in /etc/apt/trusted.gpg.d directly.
            """,
        examples: """
            - apt_key:
                id: 0123456789ABCDEF
                data: "{{ lookup('file', 'files/repo-key.asc') }}"
            - apt_key: file=/tmp/vendor.gpg keyring=/etc/apt/keyrings/vendor.gpg
            - apt_key: id=0123456789ABCDEF state=absent
            """,
        deviations: [
            "Keys go into their own file (trusted.gpg.d or `keyring`), never into /etc/apt/trusted.gpg via apt-key; the id is not checked against the key material (no gpg on the host).",
            "url and keyserver are not supported.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("id", .string, help: "The key's id; names the keyring file (keel-ID.asc) and identifies it for state=absent.") var id: String?
        @Option("data", .string, help: "The key itself (ASCII-armored or binary).") var data: String?
        @Option("file", .path, help: "A key file on the host.") var file: String?
        @Option("keyring", .path, help: "Where the key goes. Default: /etc/apt/trusted.gpg.d/keel-ID.asc (.gpg for a binary key).") var keyring: String?
        @Option("state", choices: KeyState.self, default: .present, help: "Whether the key is trusted.") var state: KeyState
        @Option("url", .string, help: "Not supported by Keel (download the key with get_url or the controller and pass data).") var url: String?
        @Option("keyserver", .string, help: "Not supported by Keel.") var keyserver: String?
        @Option("validate_certs", .bool, default: true, help: "Unused (no downloads).") var validate_certs: Bool

        public init() {}
    }

    public enum KeyState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var keyring: String
        var currentSHA256: String?
        /// For `file`: the source file's SHA-256 on the host.
        var sourceSHA256: String?
    }

    public enum Step: Sendable, Codable, Equatable { case write(Data, keyring: String), copy(String, keyring: String), remove(keyring: String) }

    public init() {}

    static func isArmored(_ text: String) -> Bool { text.contains("-----BEGIN PGP PUBLIC KEY BLOCK-----") }

    func keyring(_ a: Arguments) throws -> String {
        if let keyring = a.keyring { return keyring }
        let suffix = a.file.map { $0.hasSuffix(".asc") ? "asc" : "gpg" } ?? (a.data.map { Self.isArmored($0) ? "asc" : "gpg" } ?? "asc")
        if let id = a.id { return "/etc/apt/trusted.gpg.d/keel-\(id.replacingOccurrences(of: " ", with: "")).\(suffix)" }
        if let data = a.data {
            let digest = hexString(SHA256.hash(data: Data(data.utf8)))
            return "/etc/apt/trusted.gpg.d/keel-\(digest.prefix(16)).\(suffix)"
        }
        if let file = a.file { return "/etc/apt/trusted.gpg.d/" + (file as NSString).lastPathComponent }
        throw KeelError("apt_key needs id or keyring to know which key", expected: "id, keyring, data or file", found: "none of them")
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        if a.url != nil || a.keyserver != nil {
            throw KeelError("apt_key: url and keyserver are not supported by Keel", expected: "data (the key's text) or file (a key on the host)",
                            found: a.url != nil ? "url" : "keyserver")
        }
        let path = try keyring(a)
        var script = "[ -f \(ShellQuote.quote(path)) ] && echo \"current=$(sha256sum < \(ShellQuote.quote(path)) | cut -d' ' -f1)\"\n"
        if let file = a.file {
            script += "[ -f \(ShellQuote.quote(file)) ] && echo \"source=$(sha256sum < \(ShellQuote.quote(file)) | cut -d' ' -f1)\"\n"
        }
        script += "true"
        let f = AccountDatabase.fields(try await host.run(script).stdoutText)
        return State(keyring: path, currentSHA256: f["current"]?.first, sourceSHA256: f["source"]?.first)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["keyring": .string(observed.keyring), "state": .string(a.state.rawValue)]
        var step: Step?
        var wanted: String?
        if a.state == .absent {
            if observed.currentSHA256 != nil { step = .remove(keyring: observed.keyring) }
        } else if let data = a.data {
            let bytes = Data((Self.isArmored(data) && !data.hasSuffix("\n") ? data + "\n" : data).utf8)
            wanted = hexString(SHA256.hash(data: bytes))
            if wanted != observed.currentSHA256 { step = .write(bytes, keyring: observed.keyring) }
        } else if let file = a.file {
            guard let source = observed.sourceSHA256 else {
                throw KeelError("\(host.name): apt_key: \(file) does not exist on the host", expected: "a key file on the host", found: "no such file")
            }
            wanted = source
            if source != observed.currentSHA256 { step = .copy(file, keyring: observed.keyring) }
        } else if observed.currentSHA256 == nil {
            throw KeelError("\(host.name): apt_key: the key \(a.id ?? "") is not installed and no data or file was given",
                            expected: "data or file with the key", found: "only id")
        }
        guard let step else { return .unchanged(values: values) }
        func text(_ sha: String?) -> String { sha.map { "\(observed.keyring): sha256 \($0)\n" } ?? "\(observed.keyring): (absent)\n" }
        return Plan(steps: [step], diffs: [Diff(label: observed.keyring, before: text(observed.currentSHA256), after: text(wanted))], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        switch plan.steps[0] {
        case .write(let data, let path):
            _ = try await host.run("mkdir -p -- \(ShellQuote.quote((path as NSString).deletingLastPathComponent))")
            _ = try await FileWrite(destination: path, content: data, attributes: [.mode(0o644)]).perform(on: host)
        case .copy(let file, let path):
            let data = try await host.connection.download(file, become: host.become)
            _ = try await FileWrite(destination: path, content: data, attributes: [.mode(0o644)]).perform(on: host)
        case .remove(let path):
            try await host.runChecked("rm -f -- \(ShellQuote.quote(path))", failure: "cannot remove \(path)")
        }
        return .changed()
    }
}
