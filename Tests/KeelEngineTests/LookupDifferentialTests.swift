import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import KeelBase
import KeelTestSupport
import Testing

/// The same playbook of lookup expressions and with_<lookup> loops, run by ansible-playbook (the oracle)
/// and by Keel on the controller (connection: local), in the same directory; each writes every value it
/// computed as JSON, and the two documents must be equal. Values that are random by design (generated
/// passwords) are compared by their length and by being kept.
@Suite("Lookups against ansible-playbook", .serialized) struct LookupDifferentialTests {
    static let files: [String: String] = [
        "inventory.ini": "[web]\nweb1\nweb2\n[db]\ndb1\nweb2\n[local]\nlocalhost ansible_connection=local\n",
        "site.yml": """
            - hosts: localhost
              connection: local
              gather_facts: false
              vars:
                lk_port: 8080
                lk_users:
                  - {name: alice, keys: [k1, k2], home: {dirs: [a, b]}}
                  - {name: bob, keys: [k3]}
                lk_map: {one: 1, two: 2}
              tasks:
                - name: plain lookups
                  set_fact:
                    r_plain:
                      env_unset: "{{ lookup('env', 'KEEL_LOOKUP_SURELY_UNSET') }}"
                      env_default: "{{ lookup('env', 'KEEL_LOOKUP_SURELY_UNSET', default='dflt') }}"
                      file: "{{ lookup('file', 'motd') }}"
                      file_raw: "{{ lookup('file', 'motd', rstrip=False, lstrip=True) }}"
                      file_two: "{{ lookup('file', 'motd', 'beside.txt') }}"
                      file_list: "{{ query('file', 'motd', 'beside.txt') }}"
                      fileglob: "{{ query('fileglob', 'conf/*.conf') | map('basename') | sort }}"
                      fileglob_bare: "{{ query('fileglob', '*.txt') | map('basename') | sort }}"
                      fileglob_none: "{{ lookup('fileglob', 'nothing/*.x') }}"
                      first_found: "{{ lookup('first_found', ['missing.yml', 'vars/os.yml']) | relpath(playbook_dir) }}"
                      first_found_paths: "{{ lookup('first_found', {'files': ['x.yml', 'os.yml'], 'paths': ['nope', 'vars']}) | relpath(playbook_dir) }}"
                      first_found_skip: "{{ query('first_found', {'files': ['nope.yml'], 'skip': true}) }}"
                      template: "{{ lookup('template', 'page.j2', template_vars={'who': 'tester'}) }}"
                      template_native: "{{ lookup('template', 'list.j2') }}"
                      template_meta: "{{ lookup('template', 'meta.j2') }}"
                      pipe: "{{ lookup('pipe', 'printf \\"a b  \\\\n\\\\n\\"; ls files/conf | sort') }}"
                      pipe_cwd: "{{ lookup('pipe', 'pwd') | relpath(playbook_dir) }}"
                      lines: "{{ query('lines', 'printf \\"x\\\\ny\\\\n\\"') }}"
                      vars: "{{ lookup('vars', 'lk_port') }}"
                      vars_default: "{{ lookup('vars', 'lk_nope', default='d') }}"
                      varnames: "{{ query('varnames', '^lk_') | sort }}"
                      items: "{{ lookup('items', ['a', 'b']) }}"
                      items_ints: "{{ lookup('items', [1, [2, 3]]) }}"
                      list: "{{ query('list', [1, 2]) }}"
                      flattened_fqcn: "{{ query('community.general.flattened', [1, [2, [3]]], 4) }}"
                      cartesian_fqcn: "{{ query('community.general.cartesian', ['a', 'b'], [1, 2]) }}"
                      dict: "{{ query('dict', lk_map) }}"
                      indexed: "{{ query('indexed_items', ['a', 'b']) }}"
                      sequence: "{{ lookup('sequence', 'start=2 end=10 stride=4 format=web%02d') }}"
                      sequence_short: "{{ query('sequence', '4-6/1:h%x') }}"
                      sequence_count: "{{ query('sequence', 'start=0 count=3 stride=5') }}"
                      subelements: "{{ query('subelements', lk_users, 'keys') }}"
                      subelements_nested: "{{ query('subelements', lk_users, 'home.dirs', {'skip_missing': true}) }}"
                      together: "{{ query('together', ['a', 'b', 'c'], [1, 2]) }}"
                      nested: "{{ query('nested', ['a', 'b'], [1, 2]) }}"
                      csv: "{{ lookup('csvfile', 'db1 file=hosts.csv delimiter=,') }}"
                      csv_col: "{{ lookup('csvfile', 'web1', file='hosts.csv', delimiter=',', col=2) }}"
                      csv_default: "{{ lookup('csvfile', 'nobody', file='hosts.csv', delimiter=',', default='none') }}"
                      ini: "{{ lookup('ini', 'user', file='app.ini') }}"
                      ini_interp: "{{ lookup('ini', 'ref', file='app.ini') }}"
                      ini_section: "{{ lookup('ini', 'port', section='db', file='app.ini') }}"
                      ini_default_section: "{{ lookup('ini', 'shared', section='db', file='app.ini') }}"
                      ini_re: "{{ query('ini', 'p.*', section='db', file='app.ini', re=true) }}"
                      ini_props: "{{ lookup('ini', 'user.name', type='properties', file='user.properties') }}"
                      unvault: "{{ lookup('unvault', 'motd') }}"
                      config: "{{ lookup('config', 'DEFAULT_BECOME_METHOD') }}"
                      config_skip: "{{ query('config', 'NOT_A_SETTING_AT_ALL', on_missing='skip') }}"
                      config_many: "{{ query('config', 'DEFAULT_FORKS', 'DEFAULT_TIMEOUT', 'HOST_KEY_CHECKING', 'DEFAULT_GATHERING',
                        'DEFAULT_HASH_BEHAVIOUR', 'DEFAULT_MODULE_NAME', 'DEFAULT_TRANSPORT', 'DEFAULT_BECOME_USER', 'DEFAULT_BECOME',
                        'DEFAULT_KEEP_REMOTE_FILES', 'DEFAULT_MANAGED_STR', 'RETRY_FILES_ENABLED', 'DEFAULT_POLL_INTERVAL',
                        'DEFAULT_PRIVATE_ROLE_VARS', 'DISPLAY_SKIPPED_HOSTS', 'DEFAULT_JINJA2_NATIVE', 'DEFAULT_UNDEFINED_VAR_BEHAVIOR',
                        'DEFAULT_REMOTE_USER') }}"
                      password_stored: "{{ lookup('password', 'credentials/stored') }}"
                      password_devnull_length: "{{ lookup('password', '/dev/null length=7') | length }}"
                      password_new_length: "{{ lookup('password', 'credentials/new chars=digits length=9') | length }}"
                      password_new_kept: "{{ lookup('password', 'credentials/new') == lookup('password', 'credentials/new length=3') }}"
                      password_new_digits: "{{ lookup('password', 'credentials/new') is match('^[0-9]{9}$') }}"
                      errors_ignore: "{{ lookup('file', 'missing.txt', errors='ignore') }}"
                      errors_warn_query: "{{ query('file', 'missing.txt', errors='warn') }}"
                      search_path: "{{ ansible_search_path | map('relpath', playbook_dir) | list }}"
                      inventory_all: "{{ query('inventory_hostnames', 'all') }}"
                      inventory_union: "{{ query('inventory_hostnames', 'web:db') }}"
                      inventory_exclude: "{{ query('inventory_hostnames', 'all:!web') }}"
                      inventory_and: "{{ lookup('inventory_hostnames', 'web:&db') }}"
                      inventory_terms: "{{ query('inventory_hostnames', 'db', '!web2') }}"
                      inventory_wildcard: "{{ query('inventory_hostnames', 'web*') }}"
                      random_choice: "{{ lookup('random_choice', 'only') }}"
                      url_lines: "{{ query('url', lk_url ~ 'www/lines.txt') }}"
                      url_whole: "{{ lookup('url', lk_url ~ 'www/lines.txt', split_lines=false) }}"
                      url_joined: "{{ lookup('url', lk_url ~ 'www/lines.txt') }}"
                      url_missing: "{{ lookup('url', lk_url ~ 'www/missing.txt', errors='ignore') }}"

                - {debug: {msg: "{{ item }}"}, with_items: [[a, b], c], register: l_items}
                - {debug: {msg: "{{ item }}"}, with_list: [[a, b], c], register: l_list}
                - {debug: {msg: "{{ item }}"}, with_dict: "{{ lk_map }}", register: l_dict}
                - {debug: {msg: "{{ item }}"}, with_sequence: start=1 end=3 format=n%d, register: l_sequence}
                - {debug: {msg: "{{ item }}"}, with_fileglob: ["conf/*.conf"], register: l_fileglob}
                - {debug: {msg: "{{ item }}"}, with_subelements: ["{{ lk_users }}", keys], register: l_subelements}
                - {debug: {msg: "{{ item }}"}, with_nested: [[a, b], [1, 2]], register: l_nested}
                - {debug: {msg: "{{ item }}"}, with_together: [[a, b], [1]], register: l_together}
                - {debug: {msg: "{{ item }}"}, with_indexed_items: [x, y], register: l_indexed}
                - {debug: {msg: "{{ item }}"}, with_lines: "printf 'l1\\\\nl2\\\\n'", register: l_lines}
                - {debug: {msg: "{{ item }}"}, with_file: [motd, beside.txt], register: l_file}
                - {debug: {msg: "{{ item }}"}, with_first_found: ["{{ lk_undefined_distro }}.yml", nope.yml, vars/os.yml], register: l_first_found}
                - {debug: {msg: "{{ item }}"}, with_env: [KEEL_LOOKUP_SURELY_UNSET], register: l_env}
                - {debug: {msg: "{{ item }}"}, with_template: [page.j2], vars: {who: loop}, register: l_template}
                - {debug: {msg: "{{ item }}"}, with_password: [credentials/stored], register: l_password}
                - {debug: {msg: "{{ item }}"}, with_csvfile: ["web1 file=hosts.csv delimiter=,"], register: l_csvfile}
                - {debug: {msg: "{{ item }}"}, with_ini: ["port section=db file=app.ini"], register: l_ini}
                - {debug: {msg: "{{ item }}"}, with_vars: [lk_port], register: l_vars}
                - {debug: {msg: "{{ item }}"}, with_varnames: ["^lk_m"], register: l_varnames}
                - {debug: {msg: "{{ item }}"}, with_inventory_hostnames: [web], register: l_inventory_hostnames}
                - {debug: {msg: "{{ item }}"}, with_url: ["{{ lk_url }}www/lines.txt"], register: l_url}
                - {debug: {msg: "{{ item }}"}, with_community.general.flattened: [[a, [b]], c], register: l_flattened}

                - {set_fact: {r_accumulated: "{{ r_accumulated | default([]) + [item] }}"}, with_items: [a, b, c]}
                - name: a looked-up text that looks like a template stays text once set as a fact or registered
                  set_fact: {r_raw_fact: "{{ lookup('file', 'raw.txt') }}"}
                - {command: "cat files/raw.txt", args: {chdir: "{{ playbook_dir }}"}, register: r_raw_output, changed_when: false}

                - include_role: {name: lk}

                - copy:
                    dest: "{{ out }}"
                    content: "{{ {'plain': r_plain, 'role': r_role, 'loops': {
                      'set_fact_accumulated': r_accumulated, 'raw_fact': r_raw_fact, 'raw_output': r_raw_output.stdout,
                      'items': l_items.results | map(attribute='item') | list,
                      'list': l_list.results | map(attribute='item') | list,
                      'dict': l_dict.results | map(attribute='item') | list,
                      'sequence': l_sequence.results | map(attribute='item') | list,
                      'fileglob': l_fileglob.results | map(attribute='item') | map('basename') | sort | list,
                      'subelements': l_subelements.results | map(attribute='item') | list,
                      'nested': l_nested.results | map(attribute='item') | list,
                      'together': l_together.results | map(attribute='item') | list,
                      'indexed': l_indexed.results | map(attribute='item') | list,
                      'lines': l_lines.results | map(attribute='item') | list,
                      'file': l_file.results | map(attribute='item') | list,
                      'first_found': l_first_found.results | map(attribute='item') | map('relpath', playbook_dir) | list,
                      'env': l_env.results | map(attribute='item') | list,
                      'template': l_template.results | map(attribute='item') | list,
                      'password': l_password.results | map(attribute='item') | list,
                      'csvfile': l_csvfile.results | map(attribute='item') | list,
                      'ini': l_ini.results | map(attribute='item') | list,
                      'vars': l_vars.results | map(attribute='item') | list,
                      'varnames': l_varnames.results | map(attribute='item') | list,
                      'inventory_hostnames': l_inventory_hostnames.results | map(attribute='item') | list,
                      'flattened': l_flattened.results | map(attribute='item') | list,
                      'url': l_url.results | map(attribute='item') | list}} | to_nice_json }}"
            """,
        "roles/lk/tasks/main.yml": """
            - set_fact:
                r_role:
                  file: "{{ lookup('file', 'role.txt') }}"
                  file_shadowing: "{{ lookup('file', 'motd') }}"
                  template: "{{ lookup('template', 'role.j2') }}"
                  fileglob: "{{ query('fileglob', '*.txt') | map('relpath', playbook_dir) | list }}"
                  first_found: "{{ lookup('first_found', ['nope', 'files/role.txt']) | relpath(playbook_dir) }}"
                  search_path: "{{ ansible_search_path | map('relpath', playbook_dir) | list }}"
                  loop_fileglob: "{{ lookup('fileglob', 'conf/*.conf') | split(',') | map('relpath', playbook_dir) | sort }}"
            - set_fact: {r_role: "{{ r_role | combine({'with_first_found': item | relpath(playbook_dir)}) }}"}
              with_first_found: [nope.txt, role.txt]
            - template: {src: "{{ item }}", dest: "{{ playbook_dir }}/rendered.txt"}
              with_first_found: [role.j2]
              register: templated
            - set_fact: {r_role: "{{ r_role | combine({'template_first_found': templated.results[0].item | relpath(playbook_dir)}) }}"}
            """,
        "roles/lk/files/role.txt": "from the role\n",
        "roles/lk/files/motd": "the role's motd\n",
        "roles/lk/templates/role.j2": "role template {{ lk_port }}\n",
        "files/motd": "  Welcome\n\n",
        "files/raw.txt": "hello {{ lk_port }}\n",
        "files/conf/a.conf": "a\n",
        "files/conf/b.conf": "b\n",
        "files/conf/dir.conf/inner": "not a file match\n",
        "files/hosts.csv": "name,ip,role\nweb1,10.0.0.1,\"front, end\"\ndb1,10.0.0.2,db\n",
        "files/app.ini": "[DEFAULT]\nshared = yes\n[global]\nUser = bob\nref = %(user)s-x\n[db]\nhost: db1\nport = 5432\n",
        "files/user.properties": "user.name = alice\n",
        "beside.txt": "next to the playbook\n",
        "www/lines.txt": "first line\nsecond, with a comma\n\nafter a blank\n",
        "other.txt": "another\n",
        "vars/os.yml": "os: linux\n",
        "templates/page.j2": "port={{ lk_port }} who={{ who }}\n",
        "templates/list.j2": "{{ [1, 2] }}\n",
        "templates/meta.j2": "{{ template_path }}|{{ template_uid }}|{{ template_destpath }}|{{ ansible_managed }}|{{ template_host }}|{{ template_fullpath | relpath(playbook_dir) }}\n",
        "credentials/stored": "Stored-Secret salt=abcdefgh\n",
    ]

    @Test func everyLookupGivesWhatAnsibleGives() async throws {
        let harness = try PlaybookHarness(files: Self.files)
        let server = try await LocalHTTPServer(serving: harness.directory)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/"
        let (status, output) = try AnsibleTool.run("ansible-playbook", ["-i", harness.directory + "/inventory.ini", "-e", "out=\(harness.directory)/ansible.json", "-e", "lk_url=\(url)",
                                                                       "-e", "ansible_python_interpreter=\(AnsibleTool.venv)/bin/python", harness.directory + "/site.yml"],
                                                   home: harness.directory + "/.ansible", currentDirectory: harness.directory)
        #expect(status == 0, "\(output.suffix(3000))")
        // The password files Ansible created must not be the ones Keel reuses: Keel creates its own.
        try? FileManager.default.removeItem(atPath: harness.directory + "/credentials/new")
        try? FileManager.default.removeItem(atPath: harness.directory + "/rendered.txt")
        let outcome = await harness.play(inventory: ["inventory.ini"], extraVars: ["out": .string(harness.directory + "/keel.json"), "lk_url": .string(url)])
        #expect(outcome.status == .ok, "\(outcome.results.filter { $0.status == .failed }.map { $0.message ?? "" })")
        let ansible = try Value.parseJSON(harness.read("ansible.json") ?? "null")
        let keel = try Value.parseJSON(harness.read("keel.json") ?? "null")
        for section in ["plain", "role", "loops"] {
            for (key, expected) in ansible[section]?.dictValue ?? [:] {
                #expect(keel[section]?[key] == expected, "\(section).\(key)")
            }
            #expect(keel[section]?.dictValue?.keys.sorted() == ansible[section]?.dictValue?.keys.sorted(), "\(section)")
        }
        #expect(ansible["plain"]?["password_stored"] == "Stored-Secret")
    }
}

/// `python -m http.server` (the oracle virtualenv's Python) on 127.0.0.1 serving a directory, on a free
/// port, for the url lookup; stopped by `stop()`.
final class LocalHTTPServer: @unchecked Sendable {
    let process = Process()
    let port: Int

    init(serving directory: String) async throws {
        port = Int.random(in: 20000...40000)
        process.executableURL = URL(fileURLWithPath: AnsibleTool.venv + "/bin/python")
        process.arguments = ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // It takes a moment to bind.
        for _ in 0..<100 {
            if (try? await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(port)/")!)) != nil { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        stop()
        throw KeelError("the local HTTP server did not start")
    }

    /// SIGKILL: a child of the test runner may inherit a blocked SIGTERM and never exit.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
