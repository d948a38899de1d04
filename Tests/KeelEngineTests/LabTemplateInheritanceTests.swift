import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// A role's template that extends a base (chosen by a variable), imports macros and includes a partial
/// from the playbook's templates/ folder, over SSH on a lab host: check mode predicts the change and
/// writes nothing, the real run writes what Jinja2 renders, a second run and a second check change nothing.
@Suite("Template inheritance in a role on a lab host") struct LabTemplateInheritanceTests {
    let lab = Lab()

    func inspect(_ host: LabHost, _ script: String) throws -> String { try lab.exec(host.name, script).stdout }

    static let files: [String: String] = [
        "site.yml": """
            - hosts: lab
              gather_facts: false
              roles:
                - web
            """,
        "roles/web/defaults/main.yml": """
            web_layout: layouts/server.j2
            web_port: 8080
            web_upstreams:
              - {name: app, port: 9001}
              - {name: api, port: 9002}
            """,
        "roles/web/tasks/main.yml": """
            - name: site configuration
              template:
                src: site.conf.j2
                dest: /srv/tplinh/site.conf
                lstrip_blocks: true
            """,
        "roles/web/templates/layouts/server.j2": """
            # {{ ansible_managed }}
            server {
                listen {{ web_port }};
                {% block locations %}
                location / { return 404; }
                {% endblock %}
            }
            {% block upstreams %}{% endblock %}

            """,
        "roles/web/templates/macros.j2": """
            {% macro proxy(path, upstream) -%}
            location {{ path }} { proxy_pass http://{{ upstream }}; }
            {%- endmacro %}
            """,
        "roles/web/templates/site.conf.j2": """
            {% extends web_layout %}
            {% import "macros.j2" as m %}
            {% block locations %}
                {% for u in web_upstreams %}
                {{ m.proxy("/" ~ u.name ~ "/", u.name) }}
                {% endfor %}
            {{ super() }}
            {%- endblock %}
            {% block upstreams %}
            {% for u in web_upstreams %}
            {% include "partials/upstream.j2" %}

            {% endfor %}
            {% endblock %}

            """,
        "templates/partials/upstream.j2": """
            upstream {{ u.name }} { server 127.0.0.1:{{ u.port }}; }

            """,
    ]

    static let expected = """
        # Ansible managed
        server {
            listen 8080;
            location /app/ { proxy_pass http://app; }
            location /api/ { proxy_pass http://api; }
            location / { return 404; }
        }
        upstream app { server 127.0.0.1:9001; }
        upstream api { server 127.0.0.1:9002; }

        """

    @Test func convergesIdempotentlyAndCheckModeIsAccurate() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-tpl")[0]
        _ = try inspect(host, "rm -rf /srv/tplinh && mkdir -p /srv/tplinh")
        var files = Self.files
        files["inventory.ini"] = LabInventory.ini([host])
        let h = try PlaybookHarness(files: files)

        let predicted = await h.play(check: true, inventory: ["inventory.ini"])
        #expect(predicted.status == .ok, "\(predicted.failures)")
        #expect(predicted.recap[host.name]?[.changed] == 1)
        #expect(try inspect(host, "ls -A /srv/tplinh") == "", "check mode wrote nothing")

        let first = await h.play(inventory: ["inventory.ini"])
        #expect(first.status == .ok, "\(first.failures)")
        #expect(first.recap[host.name]?[.changed] == 1)
        #expect(first.changedTasks == predicted.changedTasks)
        #expect(try inspect(host, "cat /srv/tplinh/site.conf") == Self.expected)

        let second = await h.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok, "\(second.failures)")
        #expect(second.recap[host.name]?[.changed] == 0, "\(second.changedTasks)")
        let recheck = await h.play(check: true, inventory: ["inventory.ini"])
        #expect(recheck.recap[host.name]?[.changed] == 0, "\(recheck.changedTasks)")
    }
}
