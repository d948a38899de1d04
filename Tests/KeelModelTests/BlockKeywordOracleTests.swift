import Foundation
import Testing
import KeelBase
@testable import KeelModel

/// A block takes exactly the keywords ansible-core's Block class declares (Base, Conditional,
/// CollectionSearch, Taggable, Notifiable, Delegatable): the list is read from the venv's ansible-core,
/// and one block using every one of them loads in Keel and passes ansible-playbook --syntax-check.
@Suite struct BlockKeywordOracleTests {
    static let everyKeyword = """
        - hosts: all
          gather_facts: false
          tasks:
            - name: every block keyword
              block: [{debug: {msg: x}}]
              rescue: [{debug: {msg: r}}]
              always: [{debug: {msg: a}}]
              any_errors_fatal: false
              become: false
              become_exe: sudo
              become_flags: -H
              become_method: sudo
              become_user: root
              check_mode: false
              collections: [ansible.builtin]
              connection: local
              debugger: never
              delegate_facts: false
              delegate_to: localhost
              diff: false
              environment: {A: b}
              ignore_errors: false
              ignore_unreachable: false
              module_defaults: {}
              no_log: false
              notify: h
              port: 22
              remote_user: root
              run_once: false
              tags: [t]
              throttle: 1
              timeout: 5
              vars: {v: 1}
              when: true
          handlers:
            - {name: h, debug: {msg: h}}
        """

    @Test func blocksTakeAnsibleCoresBlockKeywords() throws {
        let oracle = PlaybookAnsibleOracleTests()
        let (ok, output) = try oracle.runOracle(["python", "-c",
            "from ansible.playbook.block import Block; print(' '.join(sorted(Block.fattributes)))"])
        #expect(ok, "\(output)")
        let ansible = Set(output.split(whereSeparator: \.isWhitespace).map(String.init))
        #expect(ansible.contains("notify"))
        #expect(KeywordTable.block == ansible, "Keel only: \(KeywordTable.block.subtracting(ansible)), Ansible only: \(ansible.subtracting(KeywordTable.block))")

        let play = try loadScratch(Self.everyKeyword).plays[0]
        guard case .block(let block) = play.tasks.first else { Issue.record("expected a block"); return }
        #expect(block.block.first?.allTasks.first?.notify == ["h"])
        #expect(block.keywords.tags == ["t"] && block.keywords.delegateTo == "localhost")

        let dir = try scratchDirectory(["play.yml": Self.everyKeyword])
        let syntax = try oracle.ansibleSyntaxCheck(dir + "/play.yml")
        #expect(syntax.ok, "\(syntax.output)")
        // The fixture names every keyword Ansible has (name on the list item's first line).
        let written = Set<String>(["name"]).union(Self.everyKeyword.split(separator: "\n").compactMap { line -> String? in
            let text = line.drop(while: { $0 == " " })
            guard line.hasPrefix("      "), !line.hasPrefix("       "), let colon = text.firstIndex(of: ":") else { return nil }
            return String(text[..<colon])
        })
        #expect(ansible.subtracting(written).isEmpty, "not in the fixture: \(ansible.subtracting(written))")
    }
}
