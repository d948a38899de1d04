import Foundation
import KeelBase
import KeelTransport

/// podman_pod's `state: quadlet`: the file NAME.pod in containers.podman's layout (its PodQuadlet: PodName,
/// Network, PublishPort, and podman arguments for what the `[Pod]` section has no key for). Only the file is
/// written; the pod is not touched.
enum PodmanPodQuadlet {
    typealias Arguments = PodmanPodModule.Arguments

    static func file(_ a: Arguments) throws -> PodmanQuadlet {
        var entries: [PodmanQuadlet.Entry] = [.init(key: "PodName", value: a.name)]
        for network in a.network ?? [] { entries.append(.init(key: "Network", value: network)) }
        for port in a.publish ?? [] { entries.append(.init(key: "PublishPort", value: port)) }
        var arguments: [String] = []
        arguments += (a.add_host ?? []).map { "--add-host \($0)" }
        arguments += (a.dns ?? []).map { "--dns \($0)" }
        if let hostname = a.hostname { arguments.append("--hostname \(hostname)") }
        // `--infra=BOOL`: containers.podman writes `--infra True`, which podman reads as a stray argument.
        if let infra = a.infra { arguments.append("--infra=\(infra)") }
        if let image = a.infra_image { arguments.append("--infra-image \(image)") }
        if let labels = a.label?.dictValue {
            for (key, value) in labels { arguments.append("--label \(key)=\(value.scalarText ?? value.jsonString())") }
        }
        if let share = a.share { arguments.append("--share \(share)") }
        entries += arguments.map { .init(key: "PodmanArgs", value: $0) }
        return PodmanQuadlet(header: "# Written by Keel's podman_pod (state: quadlet)", sections: [.init(name: "Pod", entries: entries)],
                             extraLines: a.quadlet_options ?? [])
    }

    /// The quadlet file as the host has it, with whose directory it is in (root's or the user's).
    static func observe(_ a: Arguments, on host: HostContext) async throws -> (file: PodmanQuadletObserved?, uid: Int?, home: String) {
        let fileName = PodmanQuadlet.fileName(a.quadlet_filename, name: a.name, kind: "pod")
        let sections = [("identity", "id -u; printf '%s\\n' \"$HOME\"")]
            + PodmanQuadletObserved.observation(fileName: fileName, directory: a.quadlet_dir, service: nil)
        let found = PodmanCommand.sections(try await host.runPodman(PodmanCommand.sectionedScript(sections)).stdoutText)
        let identity = (found["identity"] ?? "").split(separator: "\n").map(String.init)
        return (PodmanQuadletObserved(sections: found), identity.first.flatMap { Int($0) }, identity.count > 1 ? identity[1] : "")
    }

    static func path(_ a: Arguments, uid: Int?, home: String) -> String {
        (a.quadlet_dir ?? PodmanQuadlet.defaultDirectory(uid: uid, home: home)) + "/" + PodmanQuadlet.fileName(a.quadlet_filename, name: a.name, kind: "pod")
    }
}
