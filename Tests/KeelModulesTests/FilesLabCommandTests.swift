import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// raw and script on a real host.
@Suite("raw and script on a lab host") struct FilesLabCommandTests {
    @Test func rawRunsTheTextAsIsAndIsSkippedInCheckMode() async throws {
        let host = try await LabModuleHost.make()
        let result = try await host.run(RawModule.self, ["_raw_params": .string("cd \(host.root) && echo out && echo err >&2 && touch made")])
        #expect(result.changed && !result.failed)
        #expect(result.values["stdout"] == "out\n" && result.values["stderr"] == "err\n")
        #expect(result.values["stdout_lines"] == ["out"])
        #expect(try host.sh("ls \(host.root)") == "made\n")
        let failing = try await host.run(RawModule.self, ["_raw_params": "exit 3"])
        #expect(failing.failed && failing.values["rc"] == 3)
        let bash = try await host.run(RawModule.self, ["_raw_params": "echo $0", "executable": "/bin/bash"])
        #expect(bash.values["stdout"] == "/bin/bash\n")
        #expect(try await host.run(RawModule.self, ["_raw_params": .string("touch \(host.root)/nope")], .check).skipped)
        #expect(try host.sh("ls \(host.root)") == "made\n")
    }

    func controller(_ files: [String: String]) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-script-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir + "/files", withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: dir + "/files/" + name, atomically: true, encoding: .utf8) }
        return dir
    }

    @Test func scriptUploadsRunsWithArgumentsAndCleansUp() async throws {
        var host = try await LabModuleHost.make()
        let dir = try controller(["setup.sh": "#!/bin/sh\necho \"args: $1|$2\"\npwd\ntouch marker\n", "count.py": "import sys\nprint(len(sys.argv))\n"])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        host.context.files = ControllerFiles(searchPaths: [dir])
        let before = try host.sh("ls -A /tmp | grep -c keel-script || true")
        let arguments: OrderedDictionary<String, Value> = ["_raw_params": "setup.sh 'a b' c", "chdir": .string(host.root),
                                                           "creates": .string(host.root + "/marker")]
        let predicted = try await host.run(ScriptModule.self, arguments, .check)
        #expect(predicted.changed)
        #expect(try host.sh("ls -A \(host.root)") == "", "check mode ran the script")
        let result = try await host.run(ScriptModule.self, arguments)
        #expect(result.changed && !result.failed, "\(result.values)")
        #expect(result.values["stdout"] == .string("args: a b|c\n\(host.root)\n"))
        #expect(try host.sh("ls -A \(host.root)") == "marker\n")
        #expect(try host.sh("ls -A /tmp | grep -c keel-script || true") == before, "the uploaded script was not removed")
        #expect(try await host.run(ScriptModule.self, arguments).changed == false, "creates makes it idempotent")
        #expect(try await host.run(ScriptModule.self, arguments, .check).changed == false)

        let python = try await host.run(ScriptModule.self, ["cmd": "count.py x y", "executable": "python3"])
        #expect(python.values["stdout"] == "3\n")
        let failing = try await host.run(ScriptModule.self, ["_raw_params": "setup.sh", "chdir": "/nonexistent"])
        #expect(failing.failed)
        await #expect { try await host.run(ScriptModule.self, ["_raw_params": "missing.sh"]) } throws: { error in
            "\(error)".contains("could not find the script 'missing.sh'")
        }
    }
}

/// command over SSH: every option Ansible's command has that Keel supports.
@Suite("command on a lab host") struct FilesLabCommandOptionsTests {
    @Test func argvChdirStdinAndOutputEnds() async throws {
        let host = try await LabModuleHost.make()
        let argv = try await host.run(CommandModule.self, ["argv": ["printf", "%s|", "a b", "$HOME", "*"], "chdir": .string(host.root)])
        // $HOME expands (Ansible's expand_argument_vars); `*` is not globbed: no shell.
        #expect(argv.values["stdout"] == "a b|/root|*|")
        let pwd = try await host.run(CommandModule.self, ["_raw_params": "pwd", "chdir": .string(host.root)])
        #expect(pwd.values["stdout"] == .string(host.root))
        let stdin = try await host.run(CommandModule.self, ["_raw_params": "od -An -c", "stdin": "hi"])
        #expect(stdin.values["stdout"]?.stringValue?.contains("h   i  \\n") == true)
        let noNewline = try await host.run(CommandModule.self, ["_raw_params": "wc -c", "stdin": "hi", "stdin_add_newline": false])
        #expect(noNewline.values["stdout"] == "2")
        let kept = try await host.run(CommandModule.self, ["_raw_params": "printf 'x\\n\\n'", "strip_empty_ends": false])
        #expect(kept.values["stdout"] == "x\n\n")
        let stripped = try await host.run(CommandModule.self, ["_raw_params": "printf 'x\\n\\n'"])
        #expect(stripped.values["stdout"] == "x")
    }

    @Test func createsAndRemovesGuardTheCommandAndCheckModePredictsThem() async throws {
        let host = try await LabModuleHost.make()
        let marker = host.root + "/marker"
        let creates: OrderedDictionary<String, Value> = ["_raw_params": .string("touch \(marker)"), "creates": .string(marker)]
        try await host.expectConverges(CommandModule.self, creates)
        let removes: OrderedDictionary<String, Value> = ["_raw_params": .string("rm \(marker)"), "removes": .string(marker)]
        try await host.expectConverges(CommandModule.self, removes)
        #expect(try host.sh("ls -A \(host.root)") == "")
        let glob: OrderedDictionary<String, Value> = ["_raw_params": "touch a.log", "chdir": .string(host.root), "creates": "*.log"]
        try await host.expectConverges(CommandModule.self, glob)
    }
}
