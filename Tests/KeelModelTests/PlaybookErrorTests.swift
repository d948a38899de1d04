import Foundation
import Testing
import KeelBase
import OrderedCollections
@testable import KeelModel

/// Every kind of bad input is reported before any host is touched, as a KeelError that says where
/// (file:line:column), what was expected and what was found.
@Suite struct PlaybookErrorTests {
    @Test func invalidYAMLIsLocated() {
        let error = loadError("- hosts: all\n  tasks: [a, b\n")
        #expect(error.shortLocation.hasPrefix("play.yml:3:"))
        #expect(error.message.hasPrefix("invalid YAML"))
    }

    @Test func anEmptyPlaybookIsAnError() {
        let error = loadError("")
        #expect(error.shortLocation == "play.yml:1:1")
        #expect(error.message == "the playbook is empty")
    }

    @Test func aPlaybookMustBeAList() {
        let error = loadError("hosts: all\ntasks: []\n")
        #expect(error.shortLocation == "play.yml:1:1")
        #expect(error.message == "a playbook must be a list of plays")
        #expect(error.found == "a mapping")
    }

    @Test func anUnknownPlayKeySuggestsTheKeyword() {
        let error = loadError("- hosts: all\n  gather_fact: no\n")
        #expect(error.shortLocation == "play.yml:2:3")
        #expect(error.message == "unknown play keyword 'gather_fact'")
        #expect(error.suggestion == "gather_facts")
    }

    @Test func aPlayWithoutHostsIsAnError() {
        let error = loadError("- name: x\n  tasks: []\n")
        #expect(error.shortLocation == "play.yml:1:3")
        #expect(error.message == "a play needs 'hosts'")
    }

    @Test func anUnknownTaskKeyBesideAModuleIsAnUnknownKeyword() {
        let error = loadError("""
            - hosts: all
              tasks:
                - debug: msg=hi
                  whn: x
            """)
        #expect(error.shortLocation == "play.yml:4:7")
        #expect(error.message == "unknown module or task keyword 'whn'")
        #expect(error.suggestion == "when")
    }

    @Test func anUnknownModuleSuggestsTheModule() {
        let error = loadError("""
            - hosts: all
              tasks:
                - lineinfle:
                    path: /x
            """)
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message == "unknown module or task keyword 'lineinfle'")
        #expect(error.suggestion == "lineinfile")
    }

    @Test func anUnknownModuleInActionSuggestsTheModule() {
        let error = loadError("""
            - hosts: all
              tasks:
                - action: templat src=a dest=b
            """)
        #expect(error.shortLocation == "play.yml:3:15")
        #expect(error.message == "unknown module 'templat'")
        #expect(error.suggestion == "template")
    }

    @Test func swappedLettersSuggestTheWordWithThoseLetters() {
        let error = loadError("- hosts: all\n  tasks:\n    - fiel: {path: /x}\n")
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.suggestion == "file")
    }

    @Test func twoModulesInOneTaskConflict() {
        let error = loadError("""
            - hosts: all
              tasks:
                - copy: {src: a, dest: b}
                  file: {path: b}
            """)
        #expect(error.shortLocation == "play.yml:4:7")
        #expect(error.message == "conflicting action statements: copy, file")
    }

    @Test func aTaskWithoutAModuleIsAnError() {
        let error = loadError("""
            - hosts: all
              tasks:
                - name: nothing to do
                  when: true
            """)
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message == "this task has no module")
        #expect(error.found == "only task keywords: name, when")
    }

    @Test func freeFormTextOnAModuleThatTakesNoneIsAnError() {
        let error = loadError("""
            - hosts: all
              tasks:
                - file: /tmp/x
            """)
        #expect(error.shortLocation == "play.yml:3:13")
        #expect(error.message == "module 'file' does not take free-form arguments")
        #expect(error.found == "'/tmp/x'")
    }

    @Test func anUnknownBlockKeywordIsAnError() {
        let error = loadError("""
            - hosts: all
              tasks:
                - block:
                    - ping:
                  rescu:
                    - ping:
            """)
        #expect(error.shortLocation == "play.yml:5:7")
        #expect(error.message == "unknown block keyword 'rescu'")
        #expect(error.suggestion == "rescue")
    }

    @Test func rescueWithoutBlockIsAnError() {
        let error = loadError("""
            - hosts: all
              tasks:
                - name: oops
                  rescue:
                    - ping:
            """)
        #expect(error.shortLocation == "play.yml:4:7")
        #expect(error.message == "'rescue' without 'block'")
    }

    @Test func aMappingIsNotACondition() {
        let error = loadError("""
            - hosts: all
              tasks:
                - ping:
                  when: {a: 1}
            """)
        #expect(error.shortLocation == "play.yml:4:13")
        #expect(error.message == "'when' must be a condition (a string or a boolean) or a list of conditions")
        #expect(error.found == "a mapping")
    }

    @Test func aNumberIsNotALoop() {
        let error = loadError("""
            - hosts: all
              tasks:
                - ping:
                  loop: 3
            """)
        #expect(error.shortLocation == "play.yml:4:13")
        #expect(error.message == "'loop' must be a list or a template producing one")
        #expect(error.found == "the integer 3")
    }

    @Test func serialMustBeACountOrAPercentage() {
        let error = loadError("- hosts: all\n  serial: foo\n")
        #expect(error.shortLocation == "play.yml:2:11")
        #expect(error.message == "'serial' must be a number, a percentage such as '30%', or a list of them")
        #expect(error.found == "the string 'foo'")
    }

    @Test func aNonBooleanIsNotABoolean() {
        let error = loadError("- hosts: all\n  become: maybe\n")
        #expect(error.shortLocation == "play.yml:2:11")
        #expect(error.message == "'become' must be a boolean (true/false, yes/no) or a template")
    }

    @Test func twoLoopsOnOneTaskConflict() {
        let error = loadError("""
            - hosts: all
              tasks:
                - debug: var=item
                  loop: [1]
                  with_items: [2]
            """)
        #expect(error.shortLocation == "play.yml:5:7")
        #expect(error.message == "duplicate loop in task: with_items")
    }

    @Test func theRemovedIncludeSaysWhatToUseInstead() {
        let error = loadError("- hosts: all\n  tasks:\n    - include: other.yml\n")
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message == "'include' was removed from Ansible")
    }

    @Test func invalidVariableNamesAreRejected() {
        let error = loadError("- hosts: all\n  vars:\n    my-var: 1\n")
        #expect(error.shortLocation == "play.yml:3:5")
        #expect(error.message == "invalid variable name 'my-var' in the vars of the play")
    }

    @Test func registerNeedsAVariableName() {
        let error = loadError("- hosts: all\n  tasks:\n    - ping:\n      register: my result\n")
        #expect(error.shortLocation == "play.yml:4:17")
        #expect(error.message == "invalid variable name 'my result' in 'register'")
    }

    @Test func anUnknownMetaActionSuggestsOne() {
        let error = loadError("- hosts: all\n  tasks:\n    - meta: flush_handler\n")
        #expect(error.shortLocation == "play.yml:3:13")
        #expect(error.message == "unknown meta action 'flush_handler'")
        #expect(error.suggestion == "flush_handlers")
    }

    @Test func aMissingImportedTaskFileListsWhereItLooked() {
        let error = loadError("- hosts: all\n  tasks:\n    - import_tasks: missing.yml\n")
        #expect(error.shortLocation == "play.yml:3:21")
        #expect(error.message == "task file 'missing.yml' not found")
        #expect(error.expected?.contains("/missing.yml") == true)
    }

    @Test func aMissingImportedPlaybookIsLocated() {
        let error = loadError("- import_playbook: nowhere.yml\n")
        #expect(error.shortLocation == "play.yml:1:20")
        #expect(error.message == "imported playbook 'nowhere.yml' not found")
    }

    @Test func importTasksCannotLoop() {
        let error = loadError("- hosts: all\n  tasks:\n    - import_tasks: t.yml\n      loop: [1]\n",
                              files: ["t.yml": "- ping:\n"])
        #expect(error.shortLocation == "play.yml:4:7")
        #expect(error.message == "'import_tasks' cannot loop")
    }

    @Test func aTaskFileThatImportsItselfIsACycle() {
        let error = loadError("- hosts: all\n  tasks:\n    - import_tasks: t.yml\n",
                              files: ["t.yml": "- import_tasks: t.yml\n"])
        #expect(error.shortLocation == "t.yml:1:3")
        #expect(error.message == "import_tasks of 't.yml' imports itself")
    }

    @Test func errorsInsideImportedFilesPointIntoThatFile() {
        let error = loadError("- hosts: all\n  tasks:\n    - import_tasks: t.yml\n",
                              files: ["t.yml": "- ping:\n- debug: msg=x\n  whenn: y\n"])
        #expect(error.shortLocation == "t.yml:3:3")
        #expect(error.message == "unknown module or task keyword 'whenn'")
    }

    @Test func aTaskMustBeAMapping() {
        let error = loadError("- hosts: all\n  tasks:\n    - just a string\n")
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message == "a task must be a mapping")
    }

    @Test func printsAsFileLineColumnWithExpectedAndFound() {
        let error = loadError("- hosts: all\n  serial: foo\n")
        #expect(error.description.contains("play.yml:2:11: error: 'serial' must be"))
        #expect(error.description.contains("found: the string 'foo'"))
    }
}

/// The template syntax hook: the real engine is plugged in by the CLI; a fake one stands in here.
@Suite struct PlaybookTemplateCheckTests {
    /// Rejects unbalanced `{{ }}` and a dangling `==`, the way a Jinja2 parser would.
    static let fakeChecker: @Sendable (String, KeelBase.SourceLocation) throws -> Void = { text, _ in
        if text.components(separatedBy: "{{").count != text.components(separatedBy: "}}").count {
            throw KeelError("template syntax error: unbalanced '{{'")
        }
        if text.contains("== }}") { throw KeelError("template syntax error: expected an expression after '=='") }
    }

    let checking = loader(checkTemplate: PlaybookTemplateCheckTests.fakeChecker)

    @Test func aBrokenTemplateInAnArgumentIsLocated() {
        let error = loadError("- hosts: all\n  tasks:\n    - debug:\n        msg: \"{{ oops\"\n", using: checking)
        #expect(error.shortLocation == "play.yml:4:14")
        #expect(error.message == "template syntax error: unbalanced '{{'")
    }

    @Test func conditionsAreCheckedAsWrappedExpressions() {
        let error = loadError("- hosts: all\n  tasks:\n    - ping:\n      when: x ==\n", using: checking)
        #expect(error.shortLocation == "play.yml:4:13")
        #expect(error.message == "template syntax error: expected an expression after '=='")
    }

    @Test func brokenTemplatesInVarsAreFound() {
        let error = loadError("- hosts: all\n  vars:\n    a: \"{{ b \"\n", using: checking)
        #expect(error.shortLocation == "play.yml:3:8")
    }

    @Test func brokenTemplatesInRoleDefaultsAreFound() {
        let error = loadError("- hosts: all\n  roles: [r]\n",
                              files: ["roles/r/defaults/main.yml": "x: 1\ny: \"{{ nope\"\n"], using: checking)
        #expect(error.shortLocation == "main.yml:2:4")
    }

    @Test func everyTemplateStringAndConditionReachesTheChecker() throws {
        let seen = SeenTemplates()
        let recording = loader(checkTemplate: { text, _ in seen.add(text) })
        _ = try loadScratch("""
            - hosts: all
              vars: {a: "{{ b }}", plain: text}
              tasks:
                - command: echo {{ a }}
                  when: a is defined
                  changed_when: false
            """, using: recording)
        #expect(seen.all == ["{{ b }}", "echo {{ a }}", "{{ a is defined }}", "{{ False }}"])
    }

    @Test func unsafeStringsAreNeverChecked() throws {
        let playbook = try loadScratch("- hosts: all\n  vars:\n    raw: !unsafe \"{{ not a template\"\n", using: checking)
        #expect(playbook.plays[0].keywords.vars["raw"] == "{{ not a template")
    }
}

/// Collects the strings a checker saw (the checker is @Sendable; a lock keeps it race-free).
final class SeenTemplates: @unchecked Sendable {
    private let lock = NSLock()
    private var texts: [String] = []
    func add(_ text: String) { lock.lock(); texts.append(text); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return texts }
}

/// Notifications are checked against the play's handlers at load time.
@Suite struct PlaybookHandlerCheckTests {
    @Test func aNotificationForAMissingHandlerSuggestsTheClosest() {
        let error = loadError("""
            - hosts: all
              tasks:
                - ping:
                  notify: restart ngnix
              handlers:
                - name: restart nginx
                  service: name=nginx state=restarted
            """)
        #expect(error.shortLocation == "play.yml:4:15")
        #expect(error.message == "handler 'restart ngnix' not found")
        #expect(error.suggestion == "restart nginx")
    }

    @Test func listenTopicsAndRoleQualifiedNamesSatisfyNotifications() throws {
        let play = try loadScratch("""
            - hosts: all
              roles: [web]
              tasks:
                - ping:
                  notify: [web changed, "web : reload web", "{{ dynamic }}"]
              handlers:
                - name: restart
                  ping:
                  listen: web changed
            """, files: ["roles/web/handlers/main.yml": "- name: reload web\n  ping:\n"]).plays[0]
        #expect(play.tasks.first?.allTasks.first?.notify.count == 3)
    }

    /// ansible-core's Block is Notifiable: its `notify` reaches every task inside that names no handler
    /// of its own (a nested block's or a task's own notify wins).
    @Test func aBlocksNotifyReachesItsTasks() throws {
        let play = try loadScratch("""
            - hosts: all
              tasks:
                - notify: outer
                  block:
                    - ping:
                    - ping:
                      notify: own
                    - notify: inner
                      block:
                        - ping:
                  rescue:
                    - ping:
              handlers:
                - {name: outer, ping: }
                - {name: own, ping: }
                - {name: inner, ping: }
            """).plays[0]
        #expect(play.tasks[0].allTasks.map(\.notify) == [["outer"], ["own"], ["inner"], ["outer"]])
    }

    @Test func aBlocksNotifyForAMissingHandlerPointsAtTheBlock() {
        let error = loadError("""
            - hosts: all
              tasks:
                - notify: restart ngnix
                  block:
                    - ping:
              handlers:
                - name: restart nginx
                  service: name=nginx state=restarted
            """)
        #expect(error.shortLocation == "play.yml:3:15")
        #expect(error.message == "handler 'restart ngnix' not found")
    }

    @Test func playsThatIncludeRolesAtRunTimeAreNotChecked() throws {
        let play = try loadScratch("""
            - hosts: all
              tasks:
                - include_role: {name: later}
                - ping:
                  notify: from the included role
            """).plays[0]
        #expect(play.tasks.count == 2)
    }
}

@Suite struct PlaybookIncludeCheckTests {
    @Test func applyTakesOnlyBlockKeywords() {
        let error = loadError("""
            - hosts: all
              tasks:
                - include_tasks:
                    file: x.yml
                    apply: {tagz: [a]}
            """)
        #expect(error.shortLocation == "play.yml:5:16")
        #expect(error.message == "unknown keyword 'tagz' in 'apply'")
        #expect(error.suggestion == "tags")
    }

    @Test func includeTasksNeedsAFile() {
        let error = loadError("- hosts: all\n  tasks:\n    - include_tasks:\n        apply: {tags: a}\n")
        #expect(error.shortLocation == "play.yml:4:9")
        #expect(error.message == "'include_tasks' needs a file")
    }

    @Test func importTasksCannotUseARunTimeFileName() {
        let error = loadError("- hosts: all\n  tasks:\n    - import_tasks: \"{{ os }}.yml\"\n")
        #expect(error.shortLocation == "play.yml:3:21")
        #expect(error.message == "the file of 'import_tasks' cannot be a template when no variables are available at load time")
    }
}

/// Names of static imports rendered with the variables known at load time, through the engine's hook.
@Suite struct PlaybookStaticNameTests {
    /// Replaces `{{ name }}` with the variable's text, and fails for unknown variables.
    static let fakeRenderer: @Sendable (String, OrderedDictionary<String, Value>, KeelBase.SourceLocation) throws -> String = { text, vars, _ in
        var result = text
        while let open = result.range(of: "{{ "), let close = result.range(of: " }}", range: open.upperBound..<result.endIndex) {
            let name = String(result[open.upperBound..<close.lowerBound])
            guard let value = vars[name]?.stringValue else { throw KeelError("'\(name)' is undefined") }
            result.replaceSubrange(open.lowerBound..<close.upperBound, with: value)
        }
        return result
    }

    let rendering = PlaybookLoader(catalog: testCatalog,
                                   options: LoaderOptions(environment: [:], renderStaticName: PlaybookStaticNameTests.fakeRenderer))

    @Test func importTasksFileNamesUsePlayVars() throws {
        let play = try loadScratch("""
            - hosts: all
              tasks:
                - import_tasks: "{{ flavour }}.yml"
              vars:
                flavour: debian
            """, files: ["debian.yml": "- debug: msg=deb\n"], using: rendering).plays[0]
        #expect(play.tasks.flatMap(\.allTasks).map { $0.args["msg"] } == ["deb"])
    }

    @Test func roleNamesUseImportVars() throws {
        let play = try loadScratch("""
            - hosts: all
              tasks:
                - import_role:
                    name: "{{ which }}"
                  vars:
                    which: r
            """, files: ["roles/r/tasks/main.yml": "- ping:\n"], using: rendering).plays[0]
        guard case .block(let block) = play.tasks[0] else { Issue.record("expected a block"); return }
        #expect(block.role?.name == "r")
    }

    @Test func importPlaybookFileNamesUseTheImportsVars() throws {
        let playbook = try loadScratch("- import_playbook: \"{{ pb }}.yml\"\n  vars: {pb: other}\n",
                                       files: ["other.yml": "- hosts: all\n"], using: rendering)
        #expect(playbook.plays.count == 1)
    }

    @Test func anUndefinedVariableInAStaticNameIsLocated() {
        let error = loadError("- hosts: all\n  roles: [\"{{ missing }}\"]\n", using: rendering)
        #expect(error.shortLocation == "play.yml:2:11")
        #expect(error.message == "'missing' is undefined")
    }
}
