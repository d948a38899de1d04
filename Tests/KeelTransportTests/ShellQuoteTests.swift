import Foundation
import KeelTransport
import Testing

/// Quoted words must come back byte for byte from a real /bin/sh, whatever they hold.
@Suite struct ShellQuoteTests {
    static let words = ["", "plain", "it's", "''", "a b\tc\nd", "$HOME `id` $(id) \\ \" ; & | * ? [x] ~ # !",
                        "ünïcødé – ✓", "'leading", "trailing'", "-n", "%s", String(repeating: "x'y", count: 500)]

    @Test(arguments: words)
    func aQuotedWordSurvivesTheShell(_ word: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", "printf '%s' " + ShellQuote.quote(word)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(String(decoding: output, as: UTF8.self) == word)
    }

    @Test func safeWordsStayUnquoted() {
        #expect(ShellQuote.quote("/etc/ssh/sshd_config") == "/etc/ssh/sshd_config")
        #expect(ShellQuote.quote("a=b,c:d+e@f%g") == "a=b,c:d+e@f%g")
        #expect(ShellQuote.quote("it's") == "'it'\\''s'")
        #expect(ShellQuote.quote("") == "''")
    }
}
