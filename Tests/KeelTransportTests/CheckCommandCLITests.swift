import Foundation
import Testing

/// `keel check`: every problem of a repository in one run, located, in three formats, without any host.
@Suite("keel check") struct CheckCommandCLITests {
    /// One problem of each class the loader and the load-time checks find (`x` is a certainly undefined
    /// variable), spread over playbooks, a role and an imported playbook; plus YAML that is not a playbook (left alone) and an inventory of
    /// addresses nobody answers on (TEST-NET-3: checking must not try them).
    static let repository: [String: String] = [
        "site.yml": """
        - hosts: all
          roles: [web]
          tasks:
            - name: fine
              copy: {content: x, dest: /tmp/x}
              notify: restart web
          handlers:
            - name: restart web
              debug: msg=restart

        """,
        "roles/web/tasks/main.yml": "- name: bad argument in a role\n  file: {path: /tmp/a, state: directroy}\n",
        "playbooks/broken.yml": """
        - hosts: web
          tasks:
            - name: unknown module
              frobnicate: {x: 1}
            - name: unknown handler
              command: /bin/true
              notify: restrat web
            - name: unknown filter
              debug: msg="{{ x | frobnify }}"
        - import_playbook: ../site.yml

        """,
        "playbooks/norole.yml": "- hosts: web\n  roles: [missingrole]\n",
        "playbooks/syntax.yml": "- hosts: all\n  tasks:\n    - debug: {msg: [1, 2}\n",
        ".gitlab-ci.yml": "stages: [build]\nbuild:\n  script: make\n",
        "requirements.yml": "- src: geerlingguy.ntp\n",
        "inventory.ini": "web1 ansible_host=203.0.113.9\nweb2 ansible_host=203.0.113.10\n",
    ]

    @Test func everyProblemOfTheRepositoryIsReportedOnceWithItsLocation() throws {
        let dir = try KeelBinary.directory(Self.repository)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 1, "\(result.output)")
        let expected = [
            "playbooks/syntax.yml:3:25: error: invalid YAML: did not find expected ',' or ']'",
            "roles/web/tasks/main.yml:2:31: error: value of 'state' for module 'file' must be one of",
            "playbooks/broken.yml:4:7: error: unknown module or task keyword 'frobnicate'",
            "playbooks/broken.yml:9:26: error: no filter named 'frobnify'",
            "playbooks/broken.yml:7:15: error: handler 'restrat web' not found",
            "playbooks/broken.yml:9:22: error: variable 'x' is undefined: nothing defines it",
            "playbooks/norole.yml:2:11: error: role 'missingrole' not found",
        ]
        for line in expected { #expect(result.stdout.contains(line), "missing \(line):\n\(result.stdout)") }
        // The role is loaded by site.yml and, through import_playbook, by broken.yml: reported once.
        #expect(result.stdout.components(separatedBy: "state' for module 'file'").count == 2, "\(result.stdout)")
        #expect(result.stdout.hasSuffix("7 problems found in 3 playbooks; no host was contacted\n"), "\(result.stdout)")
        #expect(!result.output.contains("gitlab") && !result.output.contains("requirements"), "YAML that is not a playbook is left alone")
    }

    @Test func aCleanRepositoryPassesWithoutReachingItsHosts() throws {
        var files = Self.repository.filter { !$0.key.hasPrefix("playbooks/") }
        files["roles/web/tasks/main.yml"] = "- name: good\n  file: {path: /tmp/a, state: directory}\n"
        let dir = try KeelBinary.directory(files)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let result = try KeelBinary.run(["check", "-i", "inventory.ini"], in: dir)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stdout == "checked 1 playbook: no problems found\n", "\(result.output)")
        let sarif = try KeelBinary.run(["check", "-i", "inventory.ini", "--output", "sarif"], in: dir)
        #expect(sarif.status == 0)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        let runs = try #require(log["runs"] as? [[String: Any]])
        #expect((runs.first?["results"] as? [Any])?.isEmpty == true)
        let empty = try KeelBinary.run(["check"], in: dir + "/roles")
        #expect(empty.status != 0 && empty.stderr.contains("no playbooks found in this directory"), "\(empty.output)")
    }

    @Test func githubAnnotationsAndSARIFCarryTheSameLocations() throws {
        let dir = try KeelBinary.directory(Self.repository)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let github = try KeelBinary.run(["check", "playbooks/broken.yml", "--output", "github"], in: dir)
        #expect(github.status == 1)
        #expect(github.stdout.contains("::error file=playbooks/broken.yml,line=4,col=7,title=keel check::unknown module or task keyword 'frobnicate'%0A  expected:"), "\(github.stdout)")
        #expect(github.stdout.split(separator: "\n").count == 4, "frobnicate, frobnify, restrat web and the role's argument: \(github.stdout)")

        let sarif = try KeelBinary.run(["check", "playbooks/broken.yml", "--output", "sarif"], in: dir)
        #expect(sarif.status == 1)
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout.utf8)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let run = try #require((log["runs"] as? [[String: Any]])?.first)
        let results = try #require(run["results"] as? [[String: Any]])
        #expect(results.count == 4)
        let places = results.compactMap { result -> String? in
            guard let physical = ((result["locations"] as? [[String: Any]])?.first?["physicalLocation"]) as? [String: Any],
                  let uri = (physical["artifactLocation"] as? [String: Any])?["uri"] as? String,
                  let region = physical["region"] as? [String: Any] else { return nil }
            return "\(uri):\(region["startLine"] ?? 0):\(region["startColumn"] ?? 0)"
        }
        #expect(Set(places) == ["playbooks/broken.yml:4:7", "playbooks/broken.yml:9:26", "playbooks/broken.yml:7:15", "roles/web/tasks/main.yml:2:31"])
        #expect(results.allSatisfy { $0["level"] as? String == "error" && $0["ruleId"] as? String == "keel/load" })
    }
}
