import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

@Suite("Module arguments are checked before anything runs") struct ArgumentValidatorTests {
    static let spec = ArgumentSpec([
        OptionSpec("path", .path, required: true, aliases: ["dest", "name"], help: "the file"),
        OptionSpec("state", .string, default: "file", choices: ["file", "directory", "absent"], help: "what it should be"),
        OptionSpec("mode", .mode, help: "permissions"),
        OptionSpec("force", .bool, default: false, help: "replace"),
        OptionSpec("groups", .list(.string), help: "groups"),
        OptionSpec("content", .string, noLog: true, help: "secret content"),
        OptionSpec("src", .path, help: "source"),
    ], mutuallyExclusive: [["content", "src"]])
    let validator = ArgumentValidator(module: "file", spec: ArgumentValidatorTests.spec)
    let here = SourceLocation(file: "site.yml", line: 12, column: 7)

    func expectError(_ arguments: OrderedDictionary<String, Value>, _ check: (KeelError) -> Bool) {
        do {
            _ = try validator.validate(arguments, at: here)
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.location == here)
            #expect(check(error), "\(error)")
        } catch { Issue.record("unexpected \(error)") }
    }

    @Test func aliasesDefaultsAndCoercionsApply() throws {
        let result = try validator.validate(["dest": "/x", "force": "yes", "groups": "a, b", "mode": 420], at: here)
        #expect(result["path"] == "/x")
        #expect(result["state"] == "file")
        #expect(result["force"] == .bool(true))
        #expect(result["groups"] == ["a", "b"])
        #expect(result["mode"] == .int(420))
    }

    @Test func anUnknownArgumentSuggestsTheClosestName() {
        expectError(["path": "/x", "stat": "file"]) { $0.message.contains("unsupported argument 'stat'") && $0.suggestion == "state" }
    }

    @Test func aMissingRequiredArgumentIsNamed() {
        expectError(["state": "file"]) { $0.message == "missing required argument 'path' for module 'file'" }
    }

    @Test func aValueOutsideTheChoicesIsRefused() {
        expectError(["path": "/x", "state": "directroy"]) {
            $0.message.contains("must be one of: 'file', 'directory', 'absent'") && $0.suggestion == "directory"
        }
    }

    @Test func wrongTypesSayWhatWasExpected() {
        expectError(["path": "/x", "force": "maybe"]) { $0.expected == "a boolean (yes/no, true/false)" && $0.found == "'maybe' (str)" }
        expectError(["path": "/x", "mode": "rwxr"]) { $0.message.contains("wrong type") }
    }

    @Test func secretsAreNotEchoedInErrors() {
        expectError(["path": "/x", "content": ["s3cret"]]) { !$0.description.contains("s3cret") }
    }

    @Test func mutuallyExclusiveArgumentsAreRefused() {
        expectError(["path": "/x", "content": "a", "src": "b"]) { $0.message.contains("'content' and 'src'") && $0.message.contains("mutually exclusive") }
    }

    @Test func decodedArgumentsAreTyped() throws {
        struct FileArguments: Decodable, Sendable { var path: String; var state: String; var force: Bool; var groups: [String]?; var mode: Value? }
        let validated = try validator.validate(["path": "/etc/x", "groups": ["wheel"]], at: here)
        let typed = try ValueDecoder().decode(FileArguments.self, from: .dict(validated))
        #expect(typed.path == "/etc/x" && typed.state == "file" && typed.force == false && typed.groups == ["wheel"] && typed.mode == nil)
    }
}

@Suite("File modes") struct FileModeTests {
    @Test func octalAndSymbolicModesResolveLikeChmod() {
        #expect(FileMode.parse("0644") == .octal(0o644))
        #expect(FileMode.parse("u=rw,g=r,o=")?.resolve(current: 0o777, isDirectory: false) == 0o640)
        #expect(FileMode.parse("a+x")?.resolve(current: 0o644, isDirectory: false) == 0o755)
        #expect(FileMode.parse("go-w")?.resolve(current: 0o666, isDirectory: false) == 0o644)
        #expect(FileMode.parse("u+rwX,g+X")?.resolve(current: 0o600, isDirectory: true) == 0o710)
        #expect(FileMode.parse("g=u")?.resolve(current: 0o700, isDirectory: false) == 0o770)
        #expect(FileMode.parse("rwxr") == nil)
        #expect(FileMode.parse("99") == nil)
    }
}
