import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// The v2 protocol: plans carry everything apply needs (printable, saveable), apply says whether the host
/// changed, failures with results keep them for register, and controller-only modules say so.
@Suite("Module protocol v2") struct ModuleProtocolTests {
    let host = HostContext(name: "controller", connection: LocalConnection())

    @Test func aFieldThatForcesReplacementIsNamedWithBeforeAndAfter() {
        var changes = FieldChanges()
        changes.compare("image", desired: "nginx:1.27", observed: "nginx:1.25", requiresReplace: true)
        changes.compare("restart", desired: "always", observed: "always")
        changes.compare("memory", desired: "512m", observed: "256m")
        changes.compare("labels", desired: nil as String?, observed: "x")   // not set by the task: not compared
        #expect(changes.changes.map(\.field) == ["image", "memory"])
        #expect(changes.requiresReplace)
        #expect(changes.replacingFields == ["image"])
        #expect(changes.describe() == ["~ image: nginx:1.25 -> nginx:1.27 (forces replacement)", "~ memory: 256m -> 512m"])
        let diff = changes.diff(label: "container web")
        #expect(diff.before == "image: nginx:1.25\nmemory: 256m\n")
        #expect(diff.after == "image: nginx:1.27  # forces replacement\nmemory: 512m\n")
    }

    @Test func changesThatCanBeMadeInPlaceDoNotForceReplacement() {
        var changes = FieldChanges()
        changes.compare("memory", desired: 512, observed: 256)
        changes.compare("ports", desired: ["80:80"], observed: nil, requiresReplace: true, render: { $0.joined(separator: ",") })
        #expect(changes.changes.last == .init(field: "ports", before: "", after: "80:80", forcesReplacement: true))
        var inPlace = FieldChanges()
        inPlace.compare("memory", desired: 512, observed: 256)
        #expect(!inPlace.requiresReplace && !inPlace.isEmpty)
        #expect(FieldChanges().isEmpty)
    }

    @Test func aPlanIsPrintableAndSurvivesSavingUnchanged() throws {
        let step = SystemdModule.Step(action: .restart, unit: "cron.service", force: false, noBlock: true)
        var fields = FieldChanges()
        fields.compare("image", desired: "a", observed: "b", requiresReplace: true)
        let plan = Plan(steps: [step], diffs: [Diff(label: "unit", before: "x\n", after: "y\n")],
                        values: ["name": "cron", "status": ["ActiveState": "active"]], fieldChanges: fields)
        #expect(plan.describe() == ["systemctl restart cron.service", "~ image: b -> a (forces replacement)"])
        #expect(SystemdModule.Step(action: .daemonReload, unit: "cron.service").description == "systemctl daemon-reload")
        let saved = try JSONEncoder().encode(plan)
        let loaded = try JSONDecoder().decode(Plan<SystemdModule.Step>.self, from: saved)
        #expect(loaded == plan)
    }

    @Test func fileWritesCarryTheirContentAndDescribeThemselves() throws {
        let write = ContentStep.write(FileWrite(destination: "/etc/motd", content: Data("hi\n".utf8), validate: "true %s", backup: true))
        #expect(write.description == "write /etc/motd (3 bytes, validated by `true %s`, with a backup)")
        #expect(ContentStep.attribute(path: "/etc/motd", .mode(0o600)).description == "set mode: 0600 on /etc/motd")
        let plan = Plan(steps: [write])
        #expect(try JSONDecoder().decode(Plan<ContentStep>.self, from: JSONEncoder().encode(plan)) == plan)
    }

    @Test func aFailedCommandIsAFailedResultThatKeepsItsOutput() async throws {
        let result = try await ModuleRunner(ShellModule.self).run(["_raw_params": "echo out; echo err >&2; exit 3"], at: nil, on: host, mode: .apply)
        #expect(result.failed)
        #expect(result.changed)
        #expect(result.message == "non-zero return code")
        #expect(result.values["rc"] == 3)
        #expect(result.values["stdout"] == "out")
        #expect(result.values["stderr"] == "err")
        #expect(result.values["failed"] == nil)
    }

    @Test func aStepThatFoundNothingToDoReportsUnchanged() async throws {
        let result = try await ModuleRunner(NothingLeftModule.self).run([:], at: nil, on: host, mode: .apply)
        #expect(!result.changed && !result.failed)
        #expect(result.values["found"] == "already there")
        #expect(result.diffs.isEmpty)
        let predicted = try await ModuleRunner(NothingLeftModule.self).run([:], at: nil, on: host, mode: .check)
        #expect(predicted.changed)
    }

    @Test func aControllerOnlyModuleSaysSoAndCannotReachTheHost() async throws {
        let runner = ModuleRunner(NothingLeftModule.self)
        #expect(!runner.needsConnection)
        #expect(ModuleRunner(CopyModule.self).needsConnection)
        let offline = HostContext(name: "web1", connection: ControllerOnlyConnection(hostName: "web1", module: "nothing_left"))
        await #expect { try await offline.run("true") } throws: { "\($0)".contains("runs on the controller only") }
    }

    @Test func aCheckedRunNamesTheHostWhatWasDoneAndWhatTheCommandSaid() async throws {
        #expect(try await host.runChecked("echo fine", failure: "cannot say fine").stdoutText == "fine\n")
        await #expect { try await host.runChecked("echo 'no such thing' >&2; exit 2", failure: "cannot remove /x") } throws: {
            "\($0)" .contains("controller: cannot remove /x: no such thing")
        }
        await #expect { try await host.runChecked("exit 4", failure: "cannot do it") } throws: { "\($0)".contains("cannot do it: exit status 4") }
        await #expect { try await host.runChecked("echo a; echo b >&2; exit 1", failure: "apt-get failed", detail: .tail(lines: 2)) } throws: {
            "\($0)".contains("apt-get failed: exit 1:\nb\na")
        }
    }
}

/// A controller-side module whose single step finds, when applied, that nothing was left to do.
struct NothingLeftModule: Module {
    static let name = "nothing_left"
    static let spec = ArgumentSpec([])
    static let documentation = ModuleDocumentation(summary: "test")
    static var needsConnection: Bool { false }
    struct Arguments: Decodable, Sendable {}
    struct Step: Sendable, Codable, Equatable { var image: String }
    init() {}
    func observe(_ arguments: Arguments, on host: HostContext) async throws -> Bool { false }
    func plan(_ arguments: Arguments, observed: Bool, on host: HostContext) throws -> Plan<Step> {
        Plan(steps: [Step(image: "busybox")], diffs: [Diff(label: "image", before: "", after: "busybox\n")])
    }
    func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged(["found": "already there"]) }
}
