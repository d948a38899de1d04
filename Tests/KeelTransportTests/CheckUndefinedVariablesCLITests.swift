import Foundation
import Testing

/// `keel check`'s variables that are certainly undefined: reported where they are read, next to the other
/// problems, and never on a valid playbook, whatever defines its names.
@Suite("keel check: undefined variables") struct CheckUndefinedVariablesCLITests {
    /// One undefined name in each place a template is read (task argument, when, a template file, a role
    /// default), next to an unknown module and an unknown filter; the inventory's addresses answer nobody.
    static let broken: [String: String] = [
        "site.yml": """
        - hosts: web
          vars:
            greeting: "hello {{ inventory_hostname }}"
          roles: [app]
          tasks:
            - name: task argument
              copy:
                content: "{{ greeting }} {{ undefined_in_argument }}"
                dest: /tmp/greeting
            - name: condition
              debug: msg=hello
              when: undefined_in_when | bool
            - name: unknown module
              frobnicate: {x: 1}
            - name: unknown filter
              debug: msg="{{ greeting | frobnify }}"

        """,
        "roles/app/defaults/main.yml": """
        app_port: 8080
        app_url: "http://{{ app_hots }}:{{ app_port }}"

        """,
        "roles/app/tasks/main.yml": "- name: page\n  template: {src: page.j2, dest: /tmp/page}\n",
        "roles/app/templates/page.j2": """
        {% set title = 'Welcome' %}
        {{ title }} {{ app_url }}
        {% for user in app_users | default([]) %}{{ user }} {{ loop.index }}{% endfor %}
        {{ undefined_in_template }}

        """,
        "inventory.ini": "[web]\nweb1 ansible_host=203.0.113.9\n",
    ]

    @Test func eachUndefinedNameIsReportedWhereItIsReadWithTheOtherProblems() throws {
        let dir = try KeelBinary.directory(Self.broken)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        let expected = [
            "site.yml:8:37: error: variable 'undefined_in_argument' is undefined",
            "site.yml:12:13: error: variable 'undefined_in_when' is undefined",
            "roles/app/defaults/main.yml:2:21: error: variable 'app_hots' is undefined",
            "roles/app/templates/page.j2:4:4: error: variable 'undefined_in_template' is undefined",
            "site.yml:14:7: error: unknown module or task keyword 'frobnicate'",
            "site.yml:16:33: error: no filter named 'frobnify'",
        ]
        for line in expected { #expect(result.stdout.contains(line), "missing \(line):\n\(result.stdout)") }
        #expect(result.stdout.hasSuffix("6 problems found in 1 playbook; no host was contacted\n"), "\(result.stdout)")
        for defined in ["greeting", "app_port", "app_url", "title", "user", "loop", "app_users", "inventory_hostname"] {
            #expect(!result.stdout.contains("variable '\(defined)'"), "\(defined) is defined: \(result.stdout)")
        }

        let github = try KeelBinary.run(["check", "-i", "inventory.ini", "--output", "github"], in: dir)
        #expect(github.stdout.contains("::error file=roles/app/templates/page.j2,line=4,col=4,title=keel check::variable 'undefined_in_template' is undefined"),
                "\(github.stdout)")
        let sarif = try KeelBinary.run(["check", "-i", "inventory.ini", "--output", "sarif"], in: dir)
        #expect(sarif.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let results = try #require(((log["runs"] as? [[String: Any]])?.first)?["results"] as? [[String: Any]])
        let undefined = results.filter { (($0["message"] as? [String: Any])?["text"] as? String)?.contains("is undefined") == true }
        let places = undefined.compactMap { result -> String? in
            guard let physical = ((result["locations"] as? [[String: Any]])?.first?["physicalLocation"]) as? [String: Any],
                  let uri = (physical["artifactLocation"] as? [String: Any])?["uri"] as? String,
                  let region = physical["region"] as? [String: Any] else { return nil }
            return "\(uri):\(region["startLine"] ?? 0):\(region["startColumn"] ?? 0)"
        }
        #expect(Set(places) == ["site.yml:8:37", "site.yml:12:13", "roles/app/defaults/main.yml:2:21", "roles/app/templates/page.j2:4:4"],
                "\(places)")
        #expect(undefined.allSatisfy { $0["level"] as? String == "error" && $0["ruleId"] as? String == "keel/undefined-variable" })
        #expect(results.filter { $0["ruleId"] as? String == "keel/load" }.count == 2, "frobnicate and frobnify")
    }

    /// Every kind of definition Ansible knows, each read somewhere; an inventory nobody answers on.
    static let valid: [String: String] = [
        "site.yml": """
        - hosts: web
          vars:
            from_play: "{{ from_inventory_host }}"
          vars_files: [vars/common.yml]
          vars_prompt:
            - name: from_prompt
              default: x
              private: false
          roles:
            - role: app
              from_role_param: 1
            - role: guarded
              when: guarded_input is defined
          tasks:
            - set_fact:
                from_set_fact: "{{ from_play }}"
            - command: /bin/true
              register: from_register
            - include_vars: extra.yml
            - include_vars:
                file: extra.yml
                name: from_include_vars_name
            - include_tasks: more.yml
            - include_role: {name: other}
            - group_by: {key: "os_{{ ansible_facts.system | lower }}"}
            - add_host: {name: spare, groups: web, from_add_host: 1}
            - name: "every definition, read"
              debug:
                msg: >-
                  {{ from_play }} {{ from_common }} {{ from_prompt }} {{ from_role_param }} {{ from_set_fact }}
                  {{ from_register.rc }} {{ from_extra_file }} {{ from_include_vars_name.from_extra_file }}
                  {{ from_included_tasks }} {{ from_other_default }} {{ from_group_by_group }} {{ from_add_host }}
                  {{ from_inventory_group }} {{ from_inventory_group_vars }} {{ from_inventory_host_vars }}
                  {{ from_playbook_group_vars }} {{ from_playbook_host_vars }} {{ from_extra_vars }}
                  {{ from_app_default }} {{ from_app_var }} {{ from_base_default }} {{ from_os_vars }}
                  {{ hostvars[inventory_hostname].from_play }} {{ groups.web }} {{ group_names }} {{ ansible_distribution }}
                  {{ ansible_facts.hostname }} {{ omit }} {{ playbook_dir }} {{ ansible_check_mode }} {{ ansible_play_hosts }}
                  {{ lookup('env', 'HOME') }} {{ query('inventory_hostnames', 'all') }} {{ range(3) | list }} {{ vars.from_play }}
            - name: loop variables
              debug: msg="{{ server }} {{ position }} {{ ansible_loop.index }}"
              loop: [a, b]
              loop_control: {loop_var: server, index_var: position, extended: true}
            - debug: msg="{{ item }}"
              with_items: "{{ groups['web'] }}"
            - block:
                - debug: msg="{{ from_block }} {{ from_task }}"
                  vars: {from_task: 1}
              vars: {from_block: 1}
            - name: guarded
              debug:
                msg: >-
                  {{ maybe_a | default('a') }} {{ maybe_b | d('b') }} {{ maybe_c if maybe_c is defined else 'c' }}
                  {{ 'd' if maybe_d is undefined else maybe_d }} {{ maybe_e.deep.attr | default(omit) }}
            - debug: msg="{{ maybe_f }}"
              when: maybe_f is defined
            - debug: msg="{{ maybe_h }} {{ maybe_i }}"
              when: "'maybe_h' in vars and 'maybe_i' in hostvars[inventory_hostname]"
            - block:
                - debug: msg="{{ maybe_g }}"
              when: maybe_g is defined and maybe_g
            - name: jinja locals
              debug:
                msg: >-
                  {% set total = 1 %}{% set ns = namespace(found=false) %}{% for k, v in {'a': 1}.items() %}{% set ns.found = true %}{{ k }}{{ v }}{% endfor %}
                  {% macro greet(who, punct='!') %}{{ who }}{{ punct }}{{ caller() if caller is defined else '' }}{% endmacro %}{{ greet('x') }}
                  {% with inner = 2 %}{{ inner }}{% endwith %}{{ total }}{{ ns.found }}
            - debug: {msg: !unsafe "{{ never_templated }}"}
            - template: {src: page.j2, dest: /tmp/page}

        """,
        "vars/common.yml": "from_common: 1\n",
        "extra.yml": "from_extra_file: 1\n",
        "more.yml": "- set_fact: {from_included_tasks: 1}\n",
        "templates/page.j2": """
        {{ from_play }} {{ template_path }} {{ ansible_managed }}
        {% for line in from_common | string | list %}{{ line }}{% endfor %}
        {% if maybe_t is defined %}{{ maybe_t }}{% endif %}

        """,
        "roles/app/defaults/main.yml": "from_app_default: \"{{ from_base_default }}\"\n",
        "roles/app/vars/main.yml": "from_app_var: \"{{ from_app_default }}\"\n",
        "roles/app/meta/main.yml": "dependencies: [base]\n",
        "roles/app/tasks/main.yml": "- include_vars: \"{{ ansible_facts.os_family }}.yml\"\n- debug: msg=\"{{ from_os_vars }} {{ role_path }}\"\n",
        "roles/app/vars/Debian.yml": "from_os_vars: 1\n",
        "roles/app/vars/RedHat.yml": "from_os_vars: 2\n",
        "roles/base/defaults/main.yml": "from_base_default: 1\n",
        "roles/base/tasks/main.yml": "- debug: msg=\"{{ from_base_default }}\"\n",
        "roles/other/defaults/main.yml": "from_other_default: 1\n",
        "roles/guarded/defaults/main.yml": "guarded_url: \"http://{{ guarded_input }}\"\n",
        "roles/guarded/tasks/main.yml": "- debug: msg=\"{{ guarded_url }} {{ guarded_input }}\"\n",
        "roles/other/tasks/main.yml": "- debug: msg=\"{{ from_other_default }}\"\n",
        "group_vars/all.yml": "from_playbook_group_vars: 1\n",
        "group_vars/os_linux.yml": "from_group_by_group: 1\n",
        "host_vars/web1.yml": "from_playbook_host_vars: 1\n",
        "inventory/hosts.ini": "[web]\nweb1 ansible_host=203.0.113.9 from_inventory_host=1\n[web:vars]\nfrom_inventory_group=1\n",
        "inventory/group_vars/web.yml": "from_inventory_group_vars: 1\n",
        "inventory/host_vars/web1.yml": "from_inventory_host_vars: 1\n",
    ]

    @Test func aValidPlaybookUsingEveryKindOfDefinitionPassesWithoutContactingItsHosts() throws {
        let dir = try KeelBinary.directory(Self.valid)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["check", "-i", "inventory/hosts.ini", "-e", "from_extra_vars=1", "site.yml"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout == "checked 1 playbook: no problems found\n", "\(result.output)")
        // Without the -e, that one name is certainly undefined, and the check says so.
        let without = try KeelBinary.run(["check", "-i", "inventory/hosts.ini", "site.yml"], in: dir)
        #expect(without.status == 1)
        #expect(without.stdout.contains("site.yml:34:75: error: variable 'from_extra_vars' is undefined"), "\(without.output)")
        #expect(without.stdout.hasSuffix("1 problem found in 1 playbook; no host was contacted\n"), "\(without.output)")
    }

    @Test func namesDefinedInWaysNobodyCanListBeforeTheRunAreNeverReported() throws {
        var files = Self.broken.filter { $0.key != "site.yml" }
        files["site.yml"] = """
        - hosts: web
          tasks:
            - set_fact: {"{{ computed_name }}": 1}
              vars: {computed_name: made_at_run_time}
            - debug: msg="{{ made_at_run_time }}"

        """
        let dir = try KeelBinary.directory(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let dynamic = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(dynamic.status == 0, "set_fact with a templated name may define anything: \(dynamic.output)")

        // Without an inventory, any name may come from the real one: nothing is certain.
        let broken = try KeelBinary.directory(Self.broken.filter { $0.key != "inventory.ini" })
        defer { try? FileManager.default.removeItem(atPath: broken) }
        let noInventory = try KeelBinary.run(["check"], in: broken)
        #expect(!noInventory.stdout.contains("is undefined"), "\(noInventory.output)")
        #expect(noInventory.stdout.hasSuffix("2 problems found in 1 playbook; no host was contacted\n"), "\(noInventory.output)")
    }

    /// What the public roles of bench/corpus do (written anew here): per-OS task and variable files chosen by
    /// facts, with_first_found, a role default built from a name the user must give unless they override the
    /// default itself, template files that include and import others, raw blocks, variables handed undefined
    /// to a macro that checks them (willshersystems.sshd's sshd_config.j2 does this for every option), an
    /// argument spec whose descriptions quote `{{ }}`.
    static let rolePatterns: [String: String] = [
        "site.yml": """
        - hosts: all
          roles: [svc]
          tasks:
            - include_tasks: "setup-{{ ansible_os_family }}.yml"
            - debug: msg="{{ from_setup }}"
            - include_vars: "{{ item }}"
              with_first_found:
                - "os/{{ ansible_distribution }}.yml"
                - os/default.yml
            - debug: msg="{{ from_first_found }}"
            - name: a raw block
              debug: msg="{% raw %}{{ not_a_variable }}{% endraw %}"

        """,
        "setup-Debian.yml": "- set_fact: {from_setup: 1}\n",
        "setup-RedHat.yml": "- set_fact: {from_setup: 2}\n",
        "os/default.yml": "from_first_found: 1\n",
        "roles/svc/defaults/main.yml": "svc_url: \"http://{{ svc_host }}:{{ svc_port }}\"\nsvc_port: 80\n",
        "roles/svc/tasks/main.yml": "- template: {src: main.j2, dest: /tmp/svc}\n- debug: msg=\"{{ svc_url }}\"\n",
        "roles/svc/templates/main.j2": """
        {% include 'part.j2' %}
        {% import 'macros.j2' as m %}{{ m.port() }}
        {% macro option(key, value) %}{% if value is defined %}{{ key }} {{ value }}{% endif %}{% endmacro %}
        {{ option('Port', svc_listen_port) }} {{ option('Banner', svc_banner.text) }} {{ svc_port | default(svc_fallback_port) }}

        """,
        "roles/svc/templates/part.j2": "{{ svc_port }}\n",
        "roles/svc/meta/argument_specs.yml": """
        argument_specs:
          main:
            short_description: "Serves {{ svc_thing }}"
            options:
              svc_port: {type: int, description: "The port, such as {{ svc_example_port }}"}

        """,
        "roles/svc/templates/macros.j2": "{% macro port() %}{{ svc_port }}{% endmacro %}\n",
        "inventory.ini": "h1 ansible_host=203.0.113.5 svc_url=http://svc.example\n",
    ]

    @Test func patternsOfPublicRolesAreNotReported() throws {
        let dir = try KeelBinary.directory(Self.rolePatterns)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout == "checked 1 playbook: no problems found\n", "\(result.output)")

        // The inventory no longer overrides svc_url: its default is read, and svc_host is defined nowhere.
        try "h1 ansible_host=203.0.113.5\n".write(toFile: dir + "/inventory.ini", atomically: true, encoding: .utf8)
        let defaultRead = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(defaultRead.status == 1, "\(defaultRead.output)")
        #expect(defaultRead.stdout.contains("roles/svc/defaults/main.yml:1:21: error: variable 'svc_host' is undefined"), "\(defaultRead.output)")
        #expect(defaultRead.stdout.hasSuffix("1 problem found in 1 playbook; no host was contacted\n"), "\(defaultRead.output)")
    }
}
