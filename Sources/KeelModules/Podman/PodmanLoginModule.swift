import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `podman_login` (containers.podman.podman_login): the host's podman holds credentials for a registry.
/// The auth file is read (podman's own lookup: authfile, else $REGISTRY_AUTH_FILE, else
/// $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/UID/auth.json); when it already has exactly
/// these credentials for the registry nothing happens, otherwise `podman login` runs with the password on
/// stdin, so the registry checks them and wrong ones fail the task.
public struct PodmanLoginModule: Module {
    public static let name = "podman_login"
    public static let aliases = ["containers.podman.podman_login"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Log podman in to a registry",
        description: """
            Idempotent by the auth file: when it holds `username:password` for the registry already, the task is ok \
            without asking the registry; otherwise `podman login --password-stdin` runs (the password never appears in a \
            command line) and the registry's answer decides: wrong credentials fail the task with podman's message.
            """,
        examples: """
            - name: Credentials for the local registry
              containers.podman.podman_login:
                registry: registry.lab:5000
                username: deploy
                password: "{{ registry_password }}"
            """,
        deviations: [
            "Check mode is supported (containers.podman's podman_login does not support it).",
            "Stored credentials that match are not re-checked against the registry (containers.podman logs in on every run and reports ok when the auth file did not change).",
            "secret (podman 4.7+) is not supported: give password.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("registry", .string, required: true, format: .word, help: "The registry (host[:port]).") var registry: String
        @Option("username", .string, required: true, format: .singleLine, help: "The user.") var username: String
        @Option("password", .string, required: true, noLog: true, help: "The password.") var password: String
        @Option("authfile", .path, help: "The auth file to write (podman's default when unset).") var authfile: String?
        @Option("certdir", .path, help: "A directory of certificates (ca.crt, client certificate and key) for the registry.") var certdir: String?
        @Option("tlsverify", .bool, help: "Verify the registry's certificate (podman's default: yes).") var tlsverify: Bool?
        @Option("executable", .string, default: "podman", format: .word, help: "The podman program.") var executable: String
        public init() {}
    }

    public struct State: Equatable, Sendable {
        var authFile: String
        /// The stored `auth` (base64 of user:password) for the registry, nil when there is none.
        var storedAuth: String?
        var storedUser: String?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var registry: String
        var username: String
        var password: String
        var flags: [String]
        var executable: String

        public var description: String { (["podman", "login", "--username", username, "--password-stdin"] + flags + [registry]).joined(separator: " ") }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let file = a.authfile.map(ShellQuote.quote)
            ?? "\"${REGISTRY_AUTH_FILE:-${XDG_RUNTIME_DIR:+$XDG_RUNTIME_DIR/containers/auth.json}}\""
        let script = """
            f=\(file)
            [ -n "$f" ] || f=/run/containers/$(id -u)/auth.json
            echo "$f"
            [ -f "$f" ] && cat "$f"
            true
            """
        let text = try await host.runChecked(script, failure: "cannot read the registry auth file").stdoutText
        let path = String(text.prefix { $0 != "\n" })
        let content = String(text.drop { $0 != "\n" }.dropFirst())
        var state = State(authFile: path)
        let trimmed = content.trimmingCharacters(in: .whitespacesAndNewlines)
        if !trimmed.isEmpty {
            guard let json = try? Value.parseJSON(trimmed) else {
                throw KeelError("\(host.name): the auth file \(path) is not JSON: \(trimmed.prefix(100))")
            }
            let entry = json["auths"]?[a.registry]
            state.storedAuth = entry?["auth"]?.stringValue
            if let auth = state.storedAuth, let decoded = Data(base64Encoded: auth) {
                state.storedUser = String(decoding: decoded, as: UTF8.self).split(separator: ":", maxSplits: 1).first.map(String.init)
            }
        }
        return state
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let values: OrderedDictionary<String, Value> = ["registry": .string(a.registry), "authfile": .string(observed.authFile)]
        let desired = Data("\(a.username):\(a.password)".utf8).base64EncodedString()
        guard observed.storedAuth != desired else { return .unchanged(values: values) }
        var flags: [String] = []
        if let authfile = a.authfile { flags += ["--authfile", authfile] }
        if let certdir = a.certdir { flags += ["--cert-dir", certdir] }
        if let tlsverify = a.tlsverify { flags.append("--tls-verify=\(tlsverify)") }
        var changes = FieldChanges()
        let before = observed.storedAuth == nil ? "" : (observed.storedUser == a.username ? "\(a.username) (another password)" : observed.storedUser ?? "?")
        changes.compare("credentials", desired: a.username, observed: before.isEmpty ? nil : before)
        return Plan(steps: [Step(registry: a.registry, username: a.username, password: a.password, flags: flags, executable: a.executable)],
                    diffs: [changes.diff(label: "login \(a.registry) (\(observed.authFile))")], values: values, fieldChanges: changes)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            let command = PodmanImageShell.command(["login", "--username", step.username, "--password-stdin"] + step.flags + [step.registry],
                                                   executable: step.executable)
            try await host.runChecked(command, stdin: Data(step.password.utf8), failure: "cannot log in to \(step.registry) as \(step.username)",
                                      detail: .combined)
        }
        return .changed()
    }
}
