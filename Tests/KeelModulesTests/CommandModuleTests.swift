import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

@Suite("command and shell on a real host") struct CommandModuleTests {
    let host = HostContext(name: "localhost", connection: LocalConnection())

    func run(_ module: any Module.Type, _ arguments: OrderedDictionary<String, Value>, _ mode: RunMode = .apply) async throws -> ModuleResult {
        try await ModuleRunner(module).run(arguments, at: nil, on: host, mode: mode)
    }

    @Test func commandDoesNotInterpretShellSyntax() async throws {
        // No shell: `|` and `*` reach the program as written. `$HOME` is expanded as ansible-core's command
        // expands variables itself (expand_argument_vars), and stays as written when that is turned off.
        let result = try await run(CommandModule.self, ["_raw_params": "echo $HOME '|' *"])
        #expect(result.changed)
        #expect(result.values["stdout"] == .string(ProcessInfo.processInfo.environment["HOME"].map { "\($0) | *" } ?? "?"))
        let literal = try await run(CommandModule.self, ["_raw_params": "echo $HOME '|' *", "expand_argument_vars": false])
        #expect(literal.values["stdout"] == "$HOME | *")
        #expect(result.values["rc"] == 0)
    }

    @Test func shellDoes() async throws {
        let result = try await run(ShellModule.self, ["_raw_params": "printf 'a\\nb\\n' | wc -l"])
        #expect(result.values["stdout"]?.stringValue?.trimmingCharacters(in: .whitespaces) == "2")
    }

    @Test func aNonZeroStatusFailsTheTaskButKeepsTheOutput() async throws {
        let result = try await run(ShellModule.self, ["_raw_params": "echo partial; echo bad >&2; exit 3"])
        #expect(result.failed)
        #expect(result.message == "non-zero return code")
        #expect(result.values["rc"] == 3)
        #expect(result.values["stdout"] == "partial")
        #expect(result.values["stderr_lines"] == ["bad"])
    }

    @Test func createsMakesItIdempotentAndCheckModePredictsIt() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("keel-creates-\(UUID().uuidString)").path
        let args: OrderedDictionary<String, Value> = ["_raw_params": .string("touch \(marker)"), "creates": .string(marker)]
        let predicted = try await run(CommandModule.self, args, .check)
        #expect(predicted.changed)
        #expect(!FileManager.default.fileExists(atPath: marker), "check mode must not run the command")
        #expect(try await run(CommandModule.self, args).changed)
        #expect(FileManager.default.fileExists(atPath: marker))
        let again = try await run(CommandModule.self, args)
        #expect(!again.changed)
        // ansible-core 2.19's values for a command its guard skips, in a real run and in check mode.
        #expect(again.values["msg"] == .string("Did not run command since '\(marker)' exists"))
        #expect(again.values["stdout"] == .string("skipped, since \(marker) exists"))
        #expect(again.values["stdout_lines"] == [.string("skipped, since \(marker) exists")])
        #expect(again.values["rc"] == 0)
        let skippedInCheck = try await run(CommandModule.self, args, .check)
        #expect(skippedInCheck.changed == false)
        #expect(skippedInCheck.values["msg"] == .string("Would not run command since '\(marker)' exists"))
        try FileManager.default.removeItem(atPath: marker)
    }

    /// What ansible-core 2.19's command module returns in check mode when the command would run.
    @Test func checkModeRegistersAnsiblesResultForACommandThatWouldRun() async throws {
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("keel-check-\(UUID().uuidString)").path
        let plain = try await run(ShellModule.self, ["_raw_params": .string("echo out; touch \(marker)")], .check)
        #expect(plain.changed, "Keel still predicts it as a change")
        #expect(!FileManager.default.fileExists(atPath: marker), "check mode must not run the command")
        #expect(plain.values["msg"] == "Command would have run if not in check mode")
        #expect(plain.values["skipped"] == true)
        #expect(plain.values["rc"] == 0)
        #expect(plain.values["stdout"] == "" && plain.values["stderr"] == "")
        #expect(plain.values["stdout_lines"] == [] && plain.values["stderr_lines"] == [])
        let guarded = try await run(CommandModule.self, ["_raw_params": .string("touch \(marker)"), "removes": "/"], .check)
        #expect(guarded.changed)
        #expect(guarded.values["skipped"] == nil, "with a guard Ansible predicts a change, not a skip")
        #expect(guarded.values["msg"] == "Command would have run if not in check mode")
        #expect(guarded.values["stdout_lines"] == [])
    }

    @Test func argvChdirAndStdinAreHonoured() async throws {
        let result = try await run(CommandModule.self, ["argv": ["sh", "-c", "pwd; cat"], "chdir": "/usr", "stdin": "hello"])
        #expect(result.values["stdout"] == "/usr\nhello")
    }
}
