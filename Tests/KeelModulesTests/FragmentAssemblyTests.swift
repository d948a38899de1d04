import Foundation
import KeelBase
import Testing
@testable import KeelModules

/// assemble's joining rules without a host: newlines between fragments, the delimiter and its escapes,
/// and the two Ansible quirks Keel keeps (repeated un-escaping, the controller's extra newline).
@Suite("assemble joins fragments as Ansible does") struct FragmentAssemblyTests {
    func join(_ fragments: [String], delimiter: String? = nil, controller: Bool = false) throws -> String {
        let data = try FragmentAssembly(delimiter: delimiter, newlineAfterEveryDelimiter: controller).assemble(fragments.map { Data($0.utf8) })
        return String(decoding: data, as: UTF8.self)
    }

    @Test func aNewlineFollowsAFragmentWithoutOneButNotTheLast() throws {
        #expect(try join(["a\n", "b", "c"]) == "a\nb\nc")
        #expect(try join(["a", "", "b\n"]) == "a\n\nb\n", "an empty fragment does not end with a newline either")
        #expect(try join([]) == "")
    }

    @Test func theDelimiterGoesBetweenFragmentsWithANewlineUnlessItEndsWithOne() throws {
        #expect(try join(["a\n", "b\n"], delimiter: "# sep") == "a\n# sep\nb\n")
        #expect(try join(["a", "b"], delimiter: "# sep") == "a\n# sep\nb")
        #expect(try join(["a\n", "b\n"], delimiter: "# sep\\n") == "a\n# sep\nb\n")
        #expect(try join(["a\n", "b\n"], delimiter: "") == "a\nb\n", "an empty delimiter is none")
    }

    @Test func onTheControllerANewlineFollowsEveryDelimiter() throws {
        #expect(try join(["a\n", "b\n"], delimiter: "# sep\\n", controller: true) == "a\n# sep\n\nb\n")
    }

    @Test func theDelimiterIsUnescapedAgainForEveryGap() throws {
        // Python: "\\\\t" is \t (backslash, t) after one decode and a tab after two.
        #expect(try join(["a\n", "b\n", "c\n"], delimiter: #"\\t|"#) == "a\n\\t|\nb\n\t|\nc\n")
    }

    @Test func pythonBytesEscapes() throws {
        func decode(_ text: String) throws -> [UInt8] { try PythonBytesEscape.decode(Array(text.utf8)) }
        #expect(try decode(#"\x41\101\0\777"#) == [0x41, 0x41, 0, 0xFF])
        #expect(try decode(#"\a\b\f\v\r\t\n\'\"\\"#) == [7, 8, 12, 11, 13, 9, 10, 39, 34, 92])
        #expect(try decode(#"\q\8"#) == Array(#"\q\8"#.utf8), "unknown escapes stay")
        #expect(try decode("x\\\ny") == Array("xy".utf8), "backslash-newline is nothing")
        #expect(try decode("é") == [0xC3, 0xA9])
        #expect(throws: KeelError.self) { try decode(#"trailing\"#) }
        #expect(throws: KeelError.self) { try decode(#"\x4"#) }
        #expect(throws: KeelError.self) { try join(["a", "b"], delimiter: "\\\n") }
    }
}
