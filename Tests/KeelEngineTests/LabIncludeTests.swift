import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// include_tasks, include_role, set_fact and pause over SSH on a lab host: what the host ends up with,
/// the recap, and a second run that changes nothing.
@Suite("Includes, set_fact and pause on lab hosts") struct LabIncludeTests {
    let lab = Lab()

    func inspect(_ host: LabHost, _ script: String) throws -> String { try lab.exec(host.name, script).stdout }

    static let files: [String: String] = [
        "tasks/site.yml": """
            - name: site directory
              file: {path: "/srv/inc/{{ site }}", state: directory}
            - name: site port
              copy: {dest: "/srv/inc/{{ site }}/port", content: "port={{ port_base + idx }}\\n"}
            """,
        "roles/app/tasks/main.yml": """
            - name: main (must not run)
              file: {path: /srv/inc/main-ran, state: touch}
            """,
        "roles/app/tasks/deploy.yml": """
            - name: app config
              copy:
                dest: /srv/inc/app.conf
                content: "release={{ app_release }} env={{ app_env }} default={{ app_default }}\\n"
            """,
        "roles/app/vars/main.yml": "app_env: main\n",
        "roles/app/vars/prod.yml": "app_env: production\n",
        "roles/app/defaults/main.yml": "app_default: from-defaults\n",
    ]

    @Test func includesSetFactAndPauseOverSSH() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-inc")[0]
        _ = try inspect(host, "rm -rf /srv/inc")
        var files = Self.files
        files["inventory.ini"] = LabInventory.ini([host])
        files["site.yml"] = """
            - hosts: lab
              gather_facts: false
              tasks:
                - name: base directory
                  file: {path: /srv/inc, state: directory}
                - name: per site
                  include_tasks: tasks/site.yml
                  loop: [alpha, beta]
                  loop_control: {loop_var: site, index_var: idx}
                  vars:
                    port_base: 8000
                - name: the app role's deploy tasks
                  include_role:
                    name: app
                    tasks_from: deploy
                    vars_from: prod
                  vars:
                    app_release: "2.1"
                - name: remember the build
                  set_fact:
                    build_id: "{{ inventory_hostname }}-42"
                    cacheable: true
                - name: use the build on the host
                  command: "sh -c 'echo {{ build_id }} {{ ansible_facts.build_id }} > /srv/inc/build'"
                  args: {creates: /srv/inc/build}
                - name: wait a second
                  pause: {seconds: 1}
                  register: waited
                - name: record the pause
                  copy: {dest: /srv/inc/paused, content: "{{ waited.stdout is match('Paused for [0-9.]+ seconds$') }} {{ waited.delta >= 1 }}\\n"}
            """
        let h = try PlaybookHarness(files: files)
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        #expect(try inspect(host, "cd /srv/inc && find . | sort") == """
            .
            ./alpha
            ./alpha/port
            ./app.conf
            ./beta
            ./beta/port
            ./build
            ./paused

            """)
        #expect(try inspect(host, "cat /srv/inc/alpha/port /srv/inc/beta/port") == "port=8000\nport=8001\n")
        #expect(try inspect(host, "cat /srv/inc/app.conf") == "release=2.1 env=production default=from-defaults\n")
        #expect(try inspect(host, "cat /srv/inc/build") == "\(host.name)-42 \(host.name)-42\n")
        #expect(try inspect(host, "cat /srv/inc/paused") == "True True\n")
        let pause = outcome.results(named: "wait a second").first
        #expect(pause?.status == .ok)
        // How long it took depends on the machine's load; at least the second asked for, never less.
        let paused = pause?.values["stdout"]?.stringValue ?? ""
        #expect(paused.hasPrefix("Paused for ") && paused.hasSuffix(" seconds"), "\(pause?.values ?? [:])")
        #expect((Double(paused.dropFirst("Paused for ".count).dropLast(" seconds".count)) ?? 0) >= 1, "\(paused)")
        #expect((pause?.values["delta"]?.intValue ?? 0) >= 1)
        #expect(pause?.values["start"]?.stringValue != nil && pause?.values["stop"]?.stringValue != nil)
        // base dir, 2 x (site dir + port), app.conf, build, paused
        #expect(outcome.recap[host.name]?[.changed] == 8)
        #expect(outcome.recap[host.name]?[.failed] == 0)
        let second = await h.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok, "\(second.failures)")
        #expect(second.recap[host.name]?[.changed] == 0, "\(second.changedTasks)")
        #expect(second.recap[host.name]?[.skipped] == 0)
    }

    @Test func cacheableFactsAreFactsUntilClearFacts() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-inc")[0]
        _ = try inspect(host, "rm -rf /srv/cache && mkdir -p /srv/cache")
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - set_fact: {plain: one}
                - set_fact: {cached: two, cacheable: yes}
                - name: before clearing
                  copy:
                    dest: /srv/cache/before
                    content: "{{ ansible_facts.plain | default('none') }} {{ ansible_facts.cached | default('none') }} {{ cached }}\\n"
                - meta: clear_facts
                - name: after clearing
                  copy:
                    dest: /srv/cache/after
                    content: "{{ ansible_facts.cached | default('none') }} {{ cached }}\\n"
            """])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        // Only the cacheable one is also a fact; clear_facts drops that copy, the variable stays.
        #expect(try inspect(host, "cat /srv/cache/before") == "none two two\n")
        #expect(try inspect(host, "cat /srv/cache/after") == "none two\n")
        #expect(outcome.recap[host.name]?[.changed] == 2)
        let second = await h.play(inventory: ["inventory.ini"])
        #expect(second.recap[host.name]?[.changed] == 0)
    }
}
