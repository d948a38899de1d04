import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import KeelTransport
import OrderedCollections

/// A systemd lab host with podman, reached over SSH as a playbook reaches it, plus direct inspection
/// (nsenter through the lab, not through Keel) so a test never trusts a module to report on itself.
struct PodmanImageLabHost {
    let lab: LabHost
    let context: HostContext

    /// The suite's two hosts (t-pimg-1, t-pimg-2), connected.
    static func pair() async throws -> [PodmanImageLabHost] {
        let hosts = try await LabFixture.shared.hosts(2, flavor: .systemd, prefix: "pimg")
        var connected: [PodmanImageLabHost] = []
        for host in hosts { connected.append(try await connect(host)) }
        return connected
    }

    static func connect(_ host: LabHost, files: [String] = []) async throws -> PodmanImageLabHost {
        let lab = LabFixture.shared.lab
        var target = SSHTarget(hostName: host.name, address: host.address, port: 22, user: "root", knownHostsFiles: [lab.knownHostsPath])
        target.identityFiles = [lab.clientKeyPath]
        target.identitiesOnly = true
        target.useAgent = false
        target.hostKeyPolicy = .strict
        let connection = try await SSHConnection.connect(target)
        return PodmanImageLabHost(lab: host, context: HostContext(name: host.name, connection: connection,
                                                                  files: ControllerFiles(searchPaths: files)))
    }

    /// Runs a script inside the host directly and returns its stdout; throws when it fails.
    @discardableResult
    func inspect(_ script: String) throws -> String {
        let result = try LabFixture.shared.lab.exec(lab.name, script)
        guard result.status == 0 else { throw KeelError("inspection `\(script)` on \(lab.name) exited \(result.status): \(result.stderr)") }
        return result.stdout
    }

    func run<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: context, mode: mode)
    }

    /// podman's whole view of images, networks, volumes and pods: check mode must leave it as it was.
    static let podmanState = """
        podman images -a --no-trunc --format '{{.ID}} {{.Repository}}:{{.Tag}}' | sort
        podman network ls --format '{{.Name}} {{.ID}}' | sort
        podman volume ls --format '{{.Name}}' | sort
        podman pod ps --no-trunc --format '{{.Name}} {{.ID}} {{.Status}}' | sort
        cat /run/containers/0/auth.json 2>/dev/null || true
        """

    /// The converge contract: check mode predicts a change and changes nothing, the real run changes with
    /// the same diff, a second run is unchanged and check mode then predicts nothing.
    @discardableResult
    func converges<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>) async throws -> ModuleResult {
        let before = try inspect(Self.podmanState)
        let predicted = try await run(module, arguments, .check)
        guard !predicted.failed else { throw KeelError("check mode failed: \(predicted.message ?? "")") }
        guard predicted.changed else { throw KeelError("check mode predicted no change for \(arguments)") }
        let afterCheck = try inspect(Self.podmanState)
        guard before == afterCheck else { throw KeelError("check mode changed the host:\n\(before)\n->\n\(afterCheck)") }
        let real = try await run(module, arguments)
        guard !real.failed else { throw KeelError("the real run failed: \(real.message ?? "")") }
        guard real.changed else { throw KeelError("the real run reported no change for \(arguments)") }
        guard real.diffs == predicted.diffs else { throw KeelError("check mode's diff \(predicted.diffs) differs from the real run's \(real.diffs)") }
        let again = try await run(module, arguments)
        guard !again.failed, !again.changed else { throw KeelError("second run: changed=\(again.changed) \(again.message ?? "") \(again.diffs)") }
        let checkAgain = try await run(module, arguments, .check)
        guard !checkAgain.changed else { throw KeelError("check mode after converging still predicts a change: \(checkAgain.diffs)") }
        return real
    }

    /// A minimal image for tests, made on the host without a network: busybox (static) in `FROM scratch`.
    /// Returns the context directory; `marker` goes into a file so different markers give different images.
    @discardableResult
    func makeContext(_ path: String, marker: String) throws -> String {
        try inspect("""
            mkdir -p \(path)
            cp /bin/busybox \(path)/busybox
            printf '%s\\n' '\(marker)' > \(path)/marker.txt
            printf 'FROM scratch\\nCOPY busybox /bin/busybox\\nCOPY marker.txt /marker.txt\\nCMD ["/bin/busybox", "cat", "/marker.txt"]\\n' > \(path)/Containerfile
            """)
        return path
    }
}
