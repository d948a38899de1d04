import Testing
import KeelBase
@testable import KeelModel

/// Tasks and blocks: the module call in all its forms, and every task keyword.
@Suite struct PlaybookTaskTests {
    @Test func mappingFormKeepsArgumentsAndTheirLocations() throws {
        let task = try firstTask("""
            - name: Make a directory
              ansible.builtin.file:
                path: /srv
                state: directory
        """)
        #expect(task.name == "Make a directory")
        #expect(task.action == "file")
        #expect(task.writtenAction == "ansible.builtin.file")
        #expect(task.args == ["path": "/srv", "state": "directory"])
        #expect(task.argLocations["state"]?.line == 6)
        #expect(task.argsLocation.line == 5)
        #expect(task.location.line == 3)
        #expect(task.location.column == 7)
    }

    @Test func collectionAliasesResolveThroughTheCatalog() throws {
        let nodes = try tasks("""
            - ansible.posix.firewalld: {port: 80/tcp}
            - containers.podman.podman_container: {name: web}
            - community.crypto.acme_certificate: {csr: /x}
            - community.general.haproxy: {state: enabled}
            - ansible.builtin.systemd_service: {name: x}
            - ansible.legacy.copy: {src: a, dest: b}
        """)
        #expect(nodes.flatMap(\.allTasks).map(\.action) == ["firewalld", "podman_container", "acme_certificate",
                                                            "haproxy", "systemd", "copy"])
    }

    @Test func argsKeywordIsMergedUnderTheInlineArguments() throws {
        let task = try firstTask("""
            - copy: src=a dest=b
              args:
                dest: ignored
                mode: "0644"
        """)
        #expect(task.args == ["dest": "b", "mode": "0644", "src": "a"])
    }

    @Test func commandKeepsItsCommandLineAndSplitsOffItsOptions() throws {
        let task = try firstTask("""
            - shell: ls -l | grep x > out chdir=/tmp creates=/tmp/out
        """)
        #expect(task.action == "shell")
        #expect(task.args == ["chdir": "/tmp", "creates": "/tmp/out", "_raw_params": "ls -l | grep x > out"])
    }

    @Test func freeFormModulesWithoutCommandOptionsSplitEveryKeyValue() throws {
        let nodes = try tasks("""
            - set_fact: a=1 b="two words"
            - include_vars: vars/main.yml
            - meta: flush_handlers
        """)
        let all = nodes.flatMap(\.allTasks)
        #expect(all[0].args == ["a": "1", "b": "two words"])
        #expect(all[1].action == "include_vars")
        #expect(all[1].args == ["_raw_params": "vars/main.yml"])
        #expect(all[2].args == ["_raw_params": "flush_handlers"])
    }

    @Test func actionKeywordNamesTheModuleInItsFirstWord() throws {
        let task = try firstTask("""
            - action: copy src=a dest=b
        """)
        #expect(task.action == "copy")
        #expect(task.args == ["src": "a", "dest": "b"])
    }

    @Test func actionKeywordAcceptsAMappingWithModule() throws {
        let task = try firstTask("""
            - action:
                module: ansible.builtin.debug
                msg: hi
        """)
        #expect(task.action == "debug")
        #expect(task.args == ["msg": "hi"])
    }

    @Test func localActionDelegatesToLocalhost() throws {
        let task = try firstTask("""
            - local_action: command echo hi
        """)
        #expect(task.action == "command")
        #expect(task.args == ["_raw_params": "echo hi"])
        #expect(task.keywords.delegateTo == "localhost")
    }

    @Test func aModuleWithoutArgumentsHasNone() throws {
        let task = try firstTask("""
            - ping:
        """)
        #expect(task.action == "ping")
        #expect(task.args.isEmpty)
    }

    @Test func conditionalsAcceptStringsBooleansAndLists() throws {
        let nodes = try tasks("""
            - debug: msg=a
              when: x is defined
            - debug: msg=b
              when: true
            - debug: msg=c
              when:
                - a
                - b | bool
        """)
        let all = nodes.flatMap(\.allTasks)
        #expect(all[0].keywords.when.map(\.expression) == ["x is defined"])
        #expect(all[1].keywords.when.map(\.expression) == ["True"])
        #expect(all[2].keywords.when.map(\.expression) == ["a", "b | bool"])
        #expect(all[2].keywords.when[1].location.line == 10)
    }

    @Test func loopFormsKeepTheirKindAndExpression() throws {
        let nodes = try tasks("""
            - debug: var=item
              loop: [1, 2]
            - debug: var=item
              loop: "{{ users }}"
            - debug: var=item
              with_items: "{{ packages }}"
            - debug: var=item
              with_dict: {a: 1}
            - debug: var=item
              with_fileglob: "files/*.conf"
            - debug: var=item
              with_sequence: start=1 end=3
            - debug: var=item
              with_together: [[1], [2]]
            - debug: var=item
              with_subelements: ["{{ users }}", keys]
            - debug: var=item
              with_nested: [[a], [b]]
        """)
        let loops = nodes.flatMap(\.allTasks).compactMap(\.loop)
        #expect(loops.map(\.kind) == [.loop, .loop, .with(lookup: "items"), .with(lookup: "dict"),
                                       .with(lookup: "fileglob"), .with(lookup: "sequence"),
                                       .with(lookup: "together"), .with(lookup: "subelements"),
                                       .with(lookup: "nested")])
        #expect(loops[0].items == [1, 2])
        #expect(loops[1].items == "{{ users }}")
        #expect(loops[3].items == ["a": 1])
        #expect(loops[5].items == "start=1 end=3")
    }

    @Test func loopControlIsTyped() throws {
        let task = try firstTask("""
            - debug: var=user
              loop: "{{ users }}"
              loop_control:
                loop_var: user
                index_var: i
                label: "{{ user.name }}"
                pause: 2
                extended: true
        """)
        let control = try #require(task.loopControl)
        #expect(control.loopVar == "user")
        #expect(control.indexVar == "i")
        #expect(control.label == "{{ user.name }}")
        #expect(control.pause == 2)
        #expect(control.extended == .value(true))
    }

    @Test func resultKeywordsAreTyped() throws {
        let handlers = "  handlers:\n    - {name: restart a, ping: }\n    - {name: restart b, ping: }\n"
        let play = try loadScratch("- hosts: all\n  tasks:\n" + """
            - command: /bin/check
              register: check_result
              changed_when: false
              failed_when:
                - check_result.rc != 0
                - "'error' in check_result.stdout"
              until: check_result is succeeded
              retries: 5
              delay: "{{ wait }}"
              notify: [restart a, restart b]
              ignore_errors: yes

        """ + handlers).plays[0]
        let task = try #require(play.tasks.first?.allTasks.first)
        #expect(task.register == "check_result")
        #expect(task.changedWhen.map(\.expression) == ["False"])
        #expect(task.failedWhen.map(\.expression) == ["check_result.rc != 0", "'error' in check_result.stdout"])
        #expect(task.until.map(\.expression) == ["check_result is succeeded"])
        #expect(task.retries == .value(5))
        #expect(task.delay == .template("{{ wait }}"))
        #expect(task.notify == ["restart a", "restart b"])
        #expect(task.keywords.ignoreErrors == .value(true))
    }

    @Test func fractionalDelaysRoundUpToWholeSeconds() throws {
        let task = try firstTask("""
            - ping:
              retries: 2
              delay: 1.5
        """)
        #expect(task.delay == .value(2))
    }

    @Test func executionKeywordsAreTyped() throws {
        let task = try firstTask("""
            - debug: msg=x
              delegate_to: "{{ groups.db[0] }}"
              delegate_facts: true
              run_once: true
              no_log: true
              check_mode: no
              diff: false
              become: "{{ use_sudo }}"
              become_user: postgres
              environment: {PATH: /bin}
              vars: {local: 1}
              tags: a, b
              any_errors_fatal: true
              throttle: 2
              timeout: 30
              debugger: on_failed
              async: 60
              poll: 0
        """)
        let k = task.keywords
        #expect(k.delegateTo == "{{ groups.db[0] }}")
        #expect(k.delegateFacts == .value(true))
        #expect(k.runOnce == .value(true))
        #expect(k.noLog == .value(true))
        #expect(k.checkMode == .value(false))
        #expect(k.diff == .value(false))
        #expect(k.become == .template("{{ use_sudo }}"))
        #expect(k.becomeUser == "postgres")
        #expect(k.environment == ["PATH": "/bin"])
        #expect(k.vars == ["local": 1])
        #expect(k.tags == ["a", "b"])
        #expect(k.anyErrorsFatal == .value(true))
        #expect(k.throttle == .value(2))
        #expect(k.timeout == .value(30))
        #expect(task.asyncSeconds == .value(60))
        #expect(task.poll == .value(0))
    }

    @Test func blocksHoldRescueAndAlwaysWithTheirKeywords() throws {
        let nodes = try tasks("""
            - name: Guarded
              block:
                - command: /bin/risky
              rescue:
                - debug: msg=rescued
              always:
                - debug: msg=always
              when: enabled
              become: true
        """)
        guard case .block(let block) = nodes[0] else { Issue.record("expected a block"); return }
        #expect(block.name == "Guarded")
        #expect(block.block.count == 1)
        #expect(block.rescue.flatMap(\.allTasks).map { $0.args["msg"] } == ["rescued"])
        #expect(block.always.count == 1)
        #expect(block.keywords.when.map(\.expression) == ["enabled"])
        #expect(block.keywords.become == .value(true))
        #expect(block.location.line == 3)
    }

    @Test func nestedBlocksNest() throws {
        let nodes = try tasks("""
            - block:
                - block:
                    - debug: msg=deep
        """)
        guard case .block(let outer) = nodes[0], case .block(let inner) = outer.block[0] else {
            Issue.record("expected nested blocks"); return
        }
        #expect(inner.block.flatMap(\.allTasks).map(\.action) == ["debug"])
    }

    @Test func includeRoleStaysATaskWithItsOptions() throws {
        let task = try firstTask("""
            - include_role:
                name: web
                tasks_from: install
              when: x
        """)
        #expect(task.action == "include_role")
        #expect(task.args == ["name": "web", "tasks_from": "install"])
    }

    @Test func templatesInArgumentsStayUnrendered() throws {
        let task = try firstTask("""
            - template:
                src: "{{ name }}.j2"
                dest: /etc/{{ name }}
        """)
        #expect(task.args["src"] == "{{ name }}.j2")
        #expect(task.args["dest"] == "/etc/{{ name }}")
    }

    @Test func aTemplateAsTheWholeArgumentsOfANonFreeFormModuleIsKept() throws {
        let task = try firstTask("""
            - debug: "{{ debug_args }}"
        """)
        #expect(task.args == ["_raw_params": "{{ debug_args }}"])
    }
}
