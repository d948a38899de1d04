import Foundation
import KeelBase
import Testing
@testable import KeelEngine

/// `{% include %}` and `{% import %}` in a playbook's strings find their templates in the playbook's
/// directory (Ansible's basedir), not in its templates/ folder; imports there are without context too.
@Suite struct PlaybookStringIncludeTests {
    @Test func namesInPlaybookStringsAreLookedUpInThePlaybooksDirectory() async throws {
        let harness = try PlaybookHarness(files: [
            "inc.j2": "from {{ who }}\n",
            "templates/only-here.j2": "templates folder\n",
            "macros.j2": "{% macro shout(x) %}{{ x | upper }}!{% endmacro %}",
            "site.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  vars: {who: basedir}
                  tasks:
                    - name: include
                      copy: {content: "{% include 'inc.j2' %}", dest: "@DIR@/included"}
                    - name: not in templates/
                      copy: {content: "{% include 'only-here.j2' ignore missing %}none", dest: "@DIR@/missing"}
                    - name: import
                      copy: {content: "{% import 'macros.j2' as m %}{{ m.shout(who) }}", dest: "@DIR@/imported"}
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.map { $0.message ?? "" })")
        #expect(harness.read("included") == "from basedir")
        #expect(harness.read("missing") == "none")
        #expect(harness.read("imported") == "BASEDIR!")
    }

    @Test func anImportedPlaybooksStringsUseItsOwnDirectory() async throws {
        let harness = try PlaybookHarness(files: [
            "inc.j2": "top",
            "sub/inc.j2": "sub",
            "sub/play.yml": """
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {content: "{% include 'inc.j2' %} {{ playbook_dir | basename }}", dest: "@DIR@/from-sub"}
                """,
            "site.yml": """
                - import_playbook: sub/play.yml
                - hosts: localhost
                  connection: local
                  gather_facts: false
                  tasks:
                    - copy: {content: "{% include 'inc.j2' %}", dest: "@DIR@/from-top"}
                """,
        ])
        let outcome = await harness.play()
        #expect(outcome.status == .ok, "\(outcome.results.map { $0.message ?? "" })")
        #expect(harness.read("from-sub") == "sub sub", "playbook_dir is the imported playbook's directory, as in Ansible")
        #expect(harness.read("from-top") == "top")
    }
}
