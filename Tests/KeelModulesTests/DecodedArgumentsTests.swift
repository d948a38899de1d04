import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Synchronization
import Testing
@testable import KeelModules

/// What a converged run keeps between a task's reads of its arguments and between hosts: the decoded
/// arguments (DecodedArguments) and the compiled regular expressions (PythonRegex). Kept results must be
/// exactly what doing the work again gives, and errors are never kept.
@Suite("Kept decoded arguments and compiled patterns") struct DecodedArgumentsTests {
    @Test func theSameArgumentsAreDecodedOnceAndOthersAgain() throws {
        let memo = DecodedArguments<String>()
        let decodes = Mutex(0)
        func decode(_ raw: OrderedDictionary<String, Value>) throws -> String {
            try memo.arguments(for: raw) {
                decodes.withLock { $0 += 1 }
                return raw.map { "\($0.key)=\($0.value.jsonString())" }.joined(separator: ",")
            }
        }
        #expect(try decode(["path": "/a", "state": "directory"]) == "path=\"/a\",state=\"directory\"")
        #expect(try decode(["path": "/a", "state": "directory"]) == "path=\"/a\",state=\"directory\"")
        #expect(decodes.withLock { $0 } == 1)
        // Another value, another order (validation reads them in order), another type: each decoded anew.
        #expect(try decode(["path": "/b", "state": "directory"]) == "path=\"/b\",state=\"directory\"")
        #expect(try decode(["state": "directory", "path": "/a"]) == "state=\"directory\",path=\"/a\"")
        #expect(try decode(["path": "/a", "mode": 420]) == "path=\"/a\",mode=420")
        #expect(try decode(["path": "/a", "mode": "420"]) == "path=\"/a\",mode=\"420\"")
        #expect(decodes.withLock { $0 } == 5)
        // Canonically equivalent but different bytes (Value's == calls them equal): each its own.
        #expect(try Array(decode(["content": "caf\u{e9}"]).utf8) == Array("content=\"caf\\u00e9\"".utf8))
        #expect(try Array(decode(["content": "cafe\u{301}"]).utf8) == Array("content=\"cafe\\u0301\"".utf8))
        #expect(try Array(decode(["cont\u{e9}nt": 1]).utf8) == Array("cont\u{e9}nt=1".utf8))
        #expect(try Array(decode(["conte\u{301}nt": 1]).utf8) == Array("conte\u{301}nt=1".utf8))
        #expect(decodes.withLock { $0 } == 9)
        // A big inline content is not kept (decoded each time).
        let big: OrderedDictionary<String, Value> = ["content": .string(String(repeating: "x", count: 20_000))]
        _ = try decode(big)
        _ = try decode(big)
        #expect(decodes.withLock { $0 } == 11)
    }

    @Test func anErrorIsNotKeptAndNamesTheLocationOfEachCall() async throws {
        let runner = try #require(StandardModules.registry.runner(for: "file"))
        let host = HostContext(name: "controller", connection: LocalConnection())
        let wrong: OrderedDictionary<String, Value> = ["path": "/tmp/keel-decoded-arguments", "stat": "absent"]
        // The lookahead reads arguments without a location, the task's turn with its own.
        await #expect(throws: (any Error).self) { try await runner.observe(wrong, on: host, mode: .check) }
        let location = SourceLocation(file: "site.yml", line: 7, column: 5)
        do {
            _ = try await runner.run(wrong, at: location, on: host, mode: .check)
            Issue.record("unsupported argument 'stat' was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("site.yml:7:5"), "\(message)")
            #expect(message.contains("unsupported argument 'stat'"), "\(message)")
        }
        // The right arguments after the wrong ones: decoded, and the same result twice.
        let right: OrderedDictionary<String, Value> = ["path": "/tmp/keel-decoded-arguments-absent", "state": "absent"]
        let first = try await runner.run(right, at: location, on: host, mode: .check)
        let second = try await runner.run(right, at: location, on: host, mode: .check)
        #expect(first.changed == false && second.changed == false)
        #expect(first.values == second.values)
    }

    @Test func aCompiledPatternIsKeptPerFlagsAndABadOneFailsEachTime() throws {
        let text = "first\nsecond\n"
        // The same pattern with and without MULTILINE: a kept expression must not answer for the other flags.
        #expect(try PythonRegex("^second$", flags: [.multiline]).matches(text))
        #expect(try !PythonRegex("^second$").matches(text))
        #expect(try PythonRegex("^second$", flags: [.multiline]).matches(text))
        // Canonically equivalent patterns are two expressions to the regex engine (it matches code points).
        #expect(try PythonRegex("caf\u{e9}").matches("caf\u{e9}"))
        #expect(try !PythonRegex("cafe\u{301}").matches("caf\u{e9}"))
        #expect(try PythonRegex("(?P<word>sec)ond").substitute(#"\g<word>"#, in: text).text == "first\nsec\n")
        for option in ["regexp", "insertafter"] {
            do {
                _ = try PythonRegex("([unclosed", option: option)
                Issue.record("an invalid pattern compiled")
            } catch {
                #expect("\(error)".contains("'\(option)'"), "\(error)")
            }
        }
    }
}

/// TextLines.bare cuts line ends over UTF-8 bytes: the same as removing \n and \r scalars one by one.
@Suite("A line without its end") struct BareLineTests {
    @Test(arguments: [("plain\n", "plain"), ("dos\r\n", "dos"), ("many\n\r\n\r", "many"), ("none", "none"), ("\n", ""),
                      ("", ""), ("café ✓\r\n", "café ✓"), ("e\u{301}\n", "e\u{301}"), ("mid\rdle\n", "mid\rdle")])
    func cutsOnlyTheTrailingLineEnds(line: String, bare: String) {
        #expect(TextLines.bare(line) == bare)
        #expect(Array(TextLines.bare(line).unicodeScalars) == Array(bare.unicodeScalars))
    }
}
