import Foundation
import KeelBase
import KeelTestSupport
import Testing
@testable import KeelEngine

/// command's words as ansible-core passes them: `$VAR`/`${VAR}` and a leading `~` expanded unless
/// `expand_argument_vars: false` (unset variables stay as written, quoting does not stop it), `argv`,
/// `stdin` with and without the added newline; compared with ansible-playbook's registered output.
@Suite("command arguments as Ansible") struct CommandArgumentParityTests {
    @Test func wordsExpandAsAnsibleExpandsThem() async throws {
        let differential = ControllerDifferential(files: ["inventory.ini": "h1 \(ControllerDifferential.localHost)\n", "site.yml": #"""
            - hosts: h1
              gather_facts: false
              environment:
                FOO: "bar baz"
                EMPTY: ""
              tasks:
                - command: printf '[%s]' $FOO ${FOO} $NOPE_X ${NOPE_X} ~ ~/d ~root/e ~nosuchuserx/f x~ '$FOO' "a$FOO-b" $EMPTY $ ${ $1 ${FOO
                  register: expanded
                - command:
                    argv: [printf, "[%s]", "$FOO", "~", "${NOPE_X}z", "a b"]
                  register: argv
                - command: printf '[%s]' $FOO ~
                  args: {expand_argument_vars: false}
                  register: literal
                - command:
                    argv: [cat]
                    stdin: "one\ntwo"
                  register: stdin
                - command: cat
                  args: {stdin: "no newline", stdin_add_newline: false}
                  register: bare
                - copy:
                    dest: "@DIR@/out.json"
                    content: "{{ [expanded.stdout, argv.stdout, literal.stdout, stdin.stdout, bare.stdout, bare.stdout_lines] | to_nice_json }}"
            """#])
        let runs = try await differential.run()
        #expect(runs.ansibleStatus == 0, "\(runs.ansibleOutput)")
        #expect(runs.keel.status == .ok, "\(runs.keel.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        let (theirs, ours) = try runs.json("out.json")
        #expect(theirs != nil)
        #expect(ours == theirs)
    }
}
