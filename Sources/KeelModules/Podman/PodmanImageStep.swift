import Foundation
import KeelBase
import KeelTransport

/// One change podman_image makes, carrying everything its command needs.
public enum PodmanImageStep: Sendable, Codable, Equatable, CustomStringConvertible {
    case pull(name: String, flags: [String], redactedFlags: [String], executable: String)
    case build(PodmanImageBuildStep)
    case load(archive: String, name: String, archiveID: String, executable: String)
    case push(name: String, destination: String, flags: [String], redactedFlags: [String], executable: String)
    case remove(name: String, force: Bool, executable: String)

    public var description: String {
        switch self {
        case .pull(let name, _, let flags, _): return (["podman", "pull"] + flags + [name]).joined(separator: " ")
        case .build(let build): return build.description
        case .load(let archive, let name, _, _): return "podman load -i \(archive) (as \(name))"
        case .push(let name, let destination, _, let flags, _): return (["podman", "push"] + flags + [name, destination]).joined(separator: " ")
        case .remove(let name, let force, _): return "podman rmi \(force ? "--force " : "")\(name)"
        }
    }

    var executable: String {
        switch self {
        case .pull(_, _, _, let e), .load(_, _, _, let e), .push(_, _, _, _, let e), .remove(_, _, let e): return e
        case .build(let build): return build.executable
        }
    }

    var imageName: String {
        switch self {
        case .pull(let name, _, _, _), .load(_, let name, _, _), .push(let name, _, _, _, _), .remove(let name, _, _): return name
        case .build(let build): return build.name
        }
    }

    func perform(on host: HostContext) async throws {
        switch self {
        case .pull(let name, let flags, let redacted, let executable):
            try await run(PodmanImageShell.command(["pull"] + flags + [name], executable: executable), on: host,
                          failure: "cannot pull image \(name) (\((["podman", "pull"] + redacted).joined(separator: " ")))")
        case .build(let build):
            try await build.perform(on: host)
        case .load(let archive, let name, let archiveID, let executable):
            // `podman load` names the image as it was saved; the tag makes it answer to the task's name too.
            let script = """
                set -e
                \(PodmanImageShell.command(["load", "-i", archive], executable: executable)) >/dev/null
                \(PodmanImageShell.command(["tag", archiveID, name], executable: executable))
                """
            try await run(script, on: host, failure: "cannot load \(archive) as \(name)")
        case .push(let name, let destination, let flags, let redacted, let executable):
            try await run(PodmanImageShell.command(["push"] + flags + [name, destination], executable: executable), on: host,
                          failure: "cannot push image \(name) to \(destination) (\((["podman", "push"] + redacted).joined(separator: " ")))")
        case .remove(let name, let force, let executable):
            try await run(PodmanImageShell.command(["rmi"] + (force ? ["--force"] : []) + [name], executable: executable), on: host,
                          failure: "cannot remove image \(name)")
        }
    }

    private func run(_ script: String, on host: HostContext, failure: String) async throws {
        try await host.runChecked(script, failure: failure, detail: .combined)
    }
}

/// `podman build` of one image: the context is a directory on the host, or the controller's context sent
/// as a tar stream and unpacked in a temporary directory removed afterwards.
public struct PodmanImageBuildStep: Sendable, Codable, Equatable, CustomStringConvertible {
    var name: String
    var hostContext: String?
    var controllerContext: Data?
    var containerFile: String?
    var digest: String
    var flags: [String]
    var registry: PodmanRegistryOptions
    var executable: String

    public var description: String {
        let context = hostContext ?? (controllerContext != nil ? "(context from the controller)" : "(no context)")
        return (["podman", "build", "-t", name, "--label", "\(PodmanImageBuildContext.label)=\(digest)"] + flags + registry.redactedFlags + [context])
            .joined(separator: " ")
    }

    func perform(on host: HostContext) async throws {
        let arguments = ["build", "-t", name, "--label", "\(PodmanImageBuildContext.label)=\(digest)"] + flags + registry.flags
        var script = """
            set -e
            work=$(mktemp -d /var/tmp/keel-podman-build.XXXXXX)
            trap 'rm -rf "$work"' EXIT
            mkdir "$work/context"

            """
        if let containerFile { script += "printf '%s' \(ShellQuote.quote(containerFile)) > \"$work/Containerfile\"\n" }
        if controllerContext != nil { script += "tar -xf - -C \"$work/context\"\n" }
        let context = hostContext.map(ShellQuote.quote) ?? "\"$work/context\""
        var command = PodmanImageShell.command(arguments, executable: executable)
        if containerFile != nil { command += " --file \"$work/Containerfile\"" }
        script += "\(command) \(context)\n"
        try await host.runChecked(script, stdin: controllerContext, failure: "cannot build image \(name)", detail: .tail(lines: 25))
    }
}
