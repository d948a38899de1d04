import Foundation
import KeelBase
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Roles' meta/argument_specs.yml and validate_argument_spec, against ansible-playbook: the same hosts
/// pass or fail, with the same messages, and the spec's defaults are not applied.
@Suite("Role argument specs") struct RoleArgumentSpecTests {
    static let role: [String: String] = [
        "roles/web/meta/argument_specs.yml": """
            argument_specs:
              main:
                short_description: The web role
                options:
                  web_port: {type: int, required: true}
                  web_mode: {type: str, choices: [fast, safe]}
                  web_names: {type: list, elements: int}
                  web_flag: {type: bool}
                  web_extra: {type: str, default: hello}
                  web_tls:
                    type: dict
                    options:
                      cert: {type: path, required: true}
                      level: {type: int}
                  web_untyped: {}
            """,
        "roles/web/defaults/main.yml": "web_mode: safe\n",
        "roles/web/tasks/main.yml": """
            - copy:
                dest: "@DIR@/ok-{{ inventory_hostname }}"
                content: "{{ web_port }} {{ web_mode }} {{ web_extra | default('unset') }}"
            """,
    ]

    /// Ansible lists the valid booleans from a Python set, in an order that changes between runs.
    static func withoutBooleanList(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let range = line.range(of: "Valid booleans include: ") else { return String(line) }
            return String(line[..<range.upperBound]) + "..." + (line.hasSuffix("\"]") ? "\"]" : line.hasSuffix("\",") ? "\"," : "")
        }.joined(separator: "\n")
    }

    @Test func rolesAreValidatedAsAnsibleValidatesThem() async throws {
        let local = ControllerDifferential.localHost
        var files = Self.role
        files["inventory.ini"] = """
            good \(local) web_port=8080 web_names='[1, "2"]' web_flag=yes
            missing \(local)
            badtypes \(local) web_port=abc web_mode=slow web_flag=maybe web_names='["x"]'
            nested \(local) web_port=1 web_tls='{"level": "high", "extra": 1}'
            listish \(local) web_port=2.0 web_names=5 web_untyped=7

            """
        files["site.yml"] = """
            - hosts: all
              gather_facts: false
              tasks:
                - block:
                    - import_role: {name: web}
                  rescue:
                    - copy:
                        dest: "@DIR@/failed-{{ inventory_hostname }}"
                        content: "{{ ansible_failed_result.msg }}\\n{{ ansible_failed_result.argument_errors | to_json }}"
            - hosts: good
              gather_facts: false
              tasks:
                - name: direct
                  validate_argument_spec:
                    argument_spec:
                      count: {type: int, required: true}
                      names: {type: list, elements: str, choices: [a, b]}
                    provided_arguments:
                      count: "3"
                      names: [a, c]
                  register: direct
                  ignore_errors: true
                - copy: {dest: "@DIR@/direct", content: "{{ direct.msg }}"}
            """
        let runs = try await ControllerDifferential(files: files).run()
        #expect(runs.ansibleStatus == 0, "\(runs.ansibleOutput)")
        #expect(runs.keel.status == .ok, "\(runs.keel.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        for host in ["good", "missing", "badtypes", "nested", "listish"] {
            for kind in ["ok", "failed"] {
                let (theirs, ours) = runs.files("\(kind)-\(host)")
                #expect(ours.map(Self.withoutBooleanList) == theirs.map(Self.withoutBooleanList), "\(kind)-\(host)")
            }
        }
        for name in ["ok-good", "failed-missing", "failed-badtypes", "failed-nested", "ok-listish"] {
            #expect(runs.files(name).ansible != nil, "ansible-playbook left no \(name)")
        }
        #expect(runs.files("ok-good").ansible == "8080 safe unset")
        #expect(runs.files("failed-nested").keel?.contains("missing required arguments: cert found in web_tls") == true)
        let (theirs, ours) = runs.files("direct")
        #expect(theirs != nil)
        #expect(ours == theirs)
        #expect(runs.keel.results.contains { $0.task.name == "web : Validating arguments against arg spec 'main' - The web role" })
    }
}
