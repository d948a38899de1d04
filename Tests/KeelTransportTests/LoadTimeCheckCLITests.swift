import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// `keel play` checks every task before contacting any host (issues 13 and 14): argument typos in tasks
/// that never run, in handlers never notified, in roles and in included files; sources that are not on
/// the controller. The inventory's host is at an address nobody answers: a run that tried to connect
/// would say "unreachable" (exit 4) instead of the located error (exit 1).
@Suite("keel play: load-time checks") struct LoadTimeCheckCLITests {
    /// TEST-NET-1 (RFC 5737): never routed, so a connection attempt can only fail.
    static let inventory = "nowhere ansible_host=192.0.2.1 ansible_user=root ansible_connection=ssh\n"

    @Test func anArgumentTypoInATaskThatNeverRunsFailsBeforeAnyHostIsContacted() throws {
        let dir = try KeelBinary.directory([
            "inventory.ini": Self.inventory,
            "site.yml": """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: never runs
                      copy: {dset: /tmp/x, content: hi}
                      when: false
                    - name: notifies nothing
                      debug: {msg: hello}
                  handlers:
                    - name: never notified
                      file:
                        path: /tmp/y
                        stat: touch
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("site.yml:5:20: error: unsupported argument 'dset' for module 'copy'"), "\(result.output)")
        #expect(result.stderr.contains("did you mean 'dest'?"), "\(result.output)")
        // Every problem at once: the missing dest that follows from the typo, and the handler's typo.
        #expect(result.stderr.contains("site.yml:5:13: error: missing required argument 'dest' for module 'copy'"), "\(result.output)")
        #expect(result.stderr.contains("site.yml:13:15: error: unsupported argument 'stat' for module 'file'"), "\(result.output)")
        #expect(result.stderr.contains("did you mean 'state'?"), "\(result.output)")
        #expect(result.stderr.contains("3 problems found before any host was contacted"), "\(result.output)")
        #expect(!result.output.contains("UNREACHABLE") && !result.output.contains("PLAY ["), "\(result.output)")
    }

    @Test func controlActionsAreCheckedTooButFreeFormDirectivesAndSetFactNamesPass() throws {
        let dir = try KeelBinary.directory([
            "inventory.ini": Self.inventory,
            "site.yml": """
                - hosts: all
                  gather_facts: false
                  tasks:
                    - name: never runs
                      debug: {msgg: hello}
                      when: false
                    - meta: flush_handlers
                    - set_fact: {any_name: 1, cacheable: true}
                    - assert: {that: ["1 == 1"], quiet: perhaps}
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("site.yml:5:21: error: unsupported argument 'msgg' for module 'debug'"), "\(result.output)")
        #expect(result.stderr.contains("did you mean 'msg'?"), "\(result.output)")
        #expect(result.stderr.contains("'quiet'"), "a bool that is not one: \(result.output)")
        #expect(result.stderr.contains("2 problems found before any host was contacted"), "meta and set_fact pass: \(result.output)")
        #expect(!result.output.contains("UNREACHABLE") && !result.output.contains("PLAY ["), "\(result.output)")
    }

    @Test func typesChoicesAndRequiredArgumentsAreCheckedButTemplatesWaitForTheRun() throws {
        let dir = try KeelBinary.directory([
            "inventory.ini": Self.inventory,
            "site.yml": """
                - hosts: all
                  gather_facts: false
                  vars: {mode_var: present}
                  tasks:
                    - block:
                        - file: {path: /tmp/a, state: "{{ mode_var }}"}
                        - file: {path: /tmp/b, state: drectory}
                      rescue:
                        - copy: {content: x, dest: /tmp/c, force: maybe}
                      always:
                        - file: {state: touch}
                      when: false
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("site.yml:7:39: error: value of 'state' for module 'file' must be one of"), "\(result.output)")
        #expect(result.stderr.contains("did you mean 'directory'?"), "\(result.output)")
        #expect(result.stderr.contains("site.yml:9:51: error: argument 'force' of module 'copy' has the wrong type"), "\(result.output)")
        #expect(result.stderr.contains("site.yml:11:17: error: missing required argument 'path' for module 'file'"), "\(result.output)")
        #expect(!result.stderr.contains("site.yml:6:"), "a templated value is checked once rendered: \(result.output)")
        #expect(result.stderr.contains("3 problems found"), "\(result.output)")
    }

    @Test func rolesImportedAndLiterallyIncludedFilesAreCheckedToo() throws {
        let dir = try KeelBinary.directory([
            "inventory.ini": Self.inventory,
            "site.yml": """
                - hosts: all
                  gather_facts: false
                  roles: [web]
                  tasks:
                    - import_tasks: imported.yml
                    - include_tasks: included.yml
                      when: false
                    - include_tasks: "{{ not_known_now }}.yml"
                    - include_role: {name: db}
                      when: false
                """,
            "imported.yml": "- command: {cmd: 'true', chdri: /tmp}\n",
            "included.yml": "- service: {name: x, stat: started}\n- include_tasks: included.yml\n  when: false\n",
            "roles/web/tasks/main.yml": "- template: {src: page.j2, dest: /tmp/p, ownr: root}\n",
            "roles/web/templates/page.j2": "hello\n",
            "roles/db/tasks/main.yml": "- lineinfile: {path: /etc/x, lin: y}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        // Statically loaded files (the role of `roles:`, import_tasks) are errors before any host.
        for expected in ["roles/web/tasks/main.yml:1:", "'ownr'", "did you mean 'owner'?",
                         "imported.yml:1:", "'chdri'", "did you mean 'chdir'?", "2 problems found"] {
            #expect(result.stderr.contains(expected), "\(expected) in \(result.output)")
        }
        // Files only include_tasks/include_role read are checked too, but matter only if the include runs
        // (Ansible reads them then): keel check lists them as warnings.
        let check = try KeelBinary.run(["check", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(check.status == 1, "\(check.output)")
        for expected in ["included.yml:1:", "'stat' for module 'service'", "roles/db/tasks/main.yml:1:", "'lin' for module 'lineinfile'",
                         "(an error only if it runs)", "2 problems found in 1 playbook"] {
            #expect(check.stdout.contains(expected), "\(expected) in \(check.output)")
        }
    }

    @Test func aMissingLiteralSourceIsFoundAtLoadTimeWithTheTaskLocation() throws {
        let dir = try KeelBinary.directory([
            "inventory.ini": Self.inventory,
            "site.yml": """
                - hosts: all
                  gather_facts: false
                  roles: [app]
                  tasks:
                    - copy: {src: present.txt, dest: /tmp/a}
                    - copy: {src: absent.txt, dest: /tmp/b}
                      when: false
                    - template: {src: "{{ chosen }}.j2", dest: /tmp/c}
                    - copy: {src: /etc/on-the-host-only, dest: /tmp/d, remote_src: true}
                    - assemble: {src: /etc/fragments-on-the-host, dest: /tmp/e}
                    - assemble: {src: absent.d, dest: /tmp/f, remote_src: false}
                """,
            "files/present.txt": "here\n",
            "roles/app/tasks/main.yml": "- template: {src: app.conf.j2, dest: /tmp/app.conf}\n",
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["play", "site.yml", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("site.yml:6:19: error: copy: src 'absent.txt' not found on the controller"), "\(result.output)")
        #expect(result.stderr.contains("roles/app/tasks/main.yml:1:19: error: template: src 'app.conf.j2' not found on the controller"), "\(result.output)")
        #expect(result.stderr.contains("roles/app/templates/app.conf.j2"), "the places searched are named: \(result.output)")
        #expect(result.stderr.contains("site.yml:11:23: error: assemble: src 'absent.d' not found on the controller"),
                "assemble's src is on the host unless remote_src is false: \(result.output)")
        #expect(result.stderr.contains("3 problems found"), "\(result.output)")
    }

    @Test func extraVarsThatAreNotUTF8AreRefused() throws {
        let dir = try KeelBinary.directory([
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {content: x, dest: "{{ target }}"}
                """,
        ])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run([], in: dir, shell: #"exec "$KEEL" play site.yml -e "target=$PWD/name-$(printf '\377')""#)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("not valid UTF-8"), "\(result.output)")
        #expect(result.stderr.contains("\\xff"), "the bad byte is shown: \(result.output)")
        let made = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasPrefix("name-") }
        #expect(made.isEmpty, "no file with a repaired name: \(made)")
    }
}
