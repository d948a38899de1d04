import Foundation
import KeelBase
@testable import KeelModel

/// A catalog shaped like the engine's: the modules the reference playbooks use, with collection aliases.
let testCatalog = StaticModuleCatalog(
    modules: [
        "file": [], "copy": [], "template": [], "lineinfile": [], "blockinfile": [], "command": [], "shell": [],
        "raw": [], "script": [], "apt": [], "dnf": [], "package": [], "service": [],
        "systemd": ["ansible.builtin.systemd_service", "systemd_service"], "user": [], "group": [],
        "debug": [], "set_fact": [], "assert": [], "fail": [], "meta": [], "include_vars": [], "ping": [],
        "firewalld": ["ansible.posix.firewalld"], "haproxy": ["community.general.haproxy"],
        "podman_container": ["containers.podman.podman_container"], "git": [],
        "acme_certificate": ["community.crypto.acme_certificate"], "stat": [], "uri": [], "get_url": [],
        "unarchive": [], "cron": [], "sysctl": ["ansible.posix.sysctl"], "wait_for": [],
    ],
    freeForm: ["command", "shell", "raw", "script", "meta", "include_vars", "set_fact"])

/// The fixtures folder copied into the test bundle.
func fixture(_ relative: String) -> String {
    let base = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/playbooks").path
    return base + "/" + relative
}

/// Writes `files` (relative path -> text) into a fresh directory and returns its path; for error cases
/// whose line and column the test must see.
func scratchDirectory(_ files: [String: String]) throws -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-model-\(UUID().uuidString)").path
    for (relative, text) in files {
        let path = dir + "/" + relative
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
    return dir
}

func loader(rolesPath: [String] = [], environment: [String: String] = [:],
            checkTemplate: (@Sendable (String, SourceLocation) throws -> Void)? = nil) -> PlaybookLoader {
    PlaybookLoader(catalog: testCatalog,
                   options: LoaderOptions(rolesPath: rolesPath, checkTemplate: checkTemplate, environment: environment))
}

/// Loads `play.yml` (plus any other files) from a scratch directory.
func loadScratch(_ playbook: String, files: [String: String] = [:], using l: PlaybookLoader = loader()) throws -> Playbook {
    let dir = try scratchDirectory(files.merging(["play.yml": playbook]) { a, _ in a })
    return try l.loadPlaybook(at: dir + "/play.yml")
}

/// The KeelError thrown by loading `playbook`, or a failing KeelError when nothing (or something else) is thrown.
func loadError(_ playbook: String, files: [String: String] = [:], using l: PlaybookLoader = loader()) -> KeelError {
    do {
        _ = try loadScratch(playbook, files: files, using: l)
        return KeelError("expected an error, but the playbook loaded")
    } catch let error as KeelError {
        return error
    } catch {
        return KeelError("expected a KeelError, got \(error)")
    }
}

/// The tasks of the first play of an inline playbook whose tasks are `tasksYAML` (indented by 4).
func tasks(_ tasksYAML: String, using l: PlaybookLoader = loader()) throws -> [TaskNode] {
    try loadScratch("- hosts: all\n  tasks:\n" + tasksYAML, using: l).plays[0].tasks
}

func firstTask(_ tasksYAML: String, using l: PlaybookLoader = loader()) throws -> Task {
    guard case .task(let t)? = try tasks(tasksYAML, using: l).first else {
        throw KeelError("the first node is not a task")
    }
    return t
}

extension KeelError {
    /// "file:line:column" with the file name only, for compact assertions.
    var shortLocation: String {
        guard let location else { return "no location" }
        return "\((location.file as NSString).lastPathComponent):\(location.line):\(location.column)"
    }
}
