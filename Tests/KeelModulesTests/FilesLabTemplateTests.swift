import Foundation
import KeelBase
import KeelTemplate
import KeelVault
import OrderedCollections
import Testing
@testable import KeelModules

/// template on a real host: rendered with the task's variables and the template-file settings, written
/// like copy (atomic, validate, backup, mode kept), idempotent and predicted exactly in check mode.
@Suite("template module on a lab host") struct FilesLabTemplateTests {
    let controller: String

    init() throws {
        controller = FileManager.default.temporaryDirectory.appendingPathComponent("keel-tpl-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: controller + "/templates", withIntermediateDirectories: true)
    }

    func host(variables: OrderedDictionary<String, Value>) async throws -> LabModuleHost {
        var host = try await LabModuleHost.make()
        host.context.files = ControllerFiles(searchPaths: [controller])
        host.context.renderTemplateFile = { request in
            var all = variables
            for (k, v) in request.variables { all[k] = v }
            return try TemplateEngine(options: request.options).render(request.source, context: DictionaryContext(all),
                                                                       origin: SourceLocation(file: request.path, line: 1, column: 1),
                                                                       options: request.options, loader: request.loader)
        }
        return host
    }

    func template(_ name: String, _ text: String) throws {
        try controllerFile("templates/" + name, text)
    }

    func controllerFile(_ name: String, _ text: String) throws {
        let path = controller + "/" + name
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static let config = """
        # {{ ansible_managed }}
        {% for backend in backends %}
        server {{ backend.name }} {{ backend.address }}:{{ port }}
        {% endfor %}

        """

    @Test func rendersConvergesAndIsIdempotent() async throws {
        try template("app.conf.j2", Self.config)
        let host = try await host(variables: ["port": 8080, "backends": [["name": "a", "address": "198.18.0.5"], ["name": "b", "address": "198.18.0.6"]]])
        let dest = host.root + "/app.conf"
        let result = try await host.expectConverges(TemplateModule.self, ["src": "app.conf.j2", "dest": .string(dest), "mode": "0640"])
        let expected = "# Ansible managed\nserver a 198.18.0.5:8080\nserver b 198.18.0.6:8080\n"
        #expect(try host.read(dest) == expected)
        #expect(try host.sh("stat -c %a \(dest)") == "640\n")
        #expect(result.diffs == [Diff(label: dest, before: "", after: expected)])
    }

    @Test func aDriftedFileIsPredictedWithItsDiffAndRestored() async throws {
        try template("motd.j2", "Welcome to {{ site }}\n")
        let host = try await host(variables: ["site": "lab"])
        let dest = host.root + "/motd"
        try host.sh("printf 'hacked\\n' > \(dest); chmod 600 \(dest)")
        let result = try await host.expectConverges(TemplateModule.self, ["src": "motd.j2", "dest": .string(dest)])
        #expect(result.diffs == [Diff(label: dest, before: "hacked\n", after: "Welcome to lab\n")])
        #expect(try host.sh("stat -c %a \(dest)") == "600\n", "the old file's mode is kept")
    }

    @Test func aDirectoryDestReceivesTheTemplatesName() async throws {
        try template("site.conf.j2", "x={{ x }}\n")
        let host = try await host(variables: ["x": 1])
        try await host.expectConverges(TemplateModule.self, ["src": "site.conf.j2", "dest": .string(host.root + "/")])
        #expect(try host.read(host.root + "/site.conf.j2") == "x=1\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: controller + "/templates/site.conf.j2")
        try await host.expectConverges(TemplateModule.self, ["src": "site.conf.j2", "dest": .string(host.root + "/"), "mode": "preserve"])
        #expect(try host.sh("stat -c %a \(host.root)/site.conf.j2") == "700\n", "mode: preserve takes the template's mode")
    }

    @Test func trimAndLstripBlocksAndNewlineSequence() async throws {
        try template("blocks.j2", "a\n  {% if true %}\nb\n  {% endif %}\nc\n")
        let host = try await host(variables: [:])
        let dest = host.root + "/blocks"
        try await host.expectConverges(TemplateModule.self, ["src": "blocks.j2", "dest": .string(dest)])
        #expect(try host.read(dest) == "a\n  b\n  c\n", "trim_blocks is on by default, lstrip_blocks off")
        _ = try await host.run(TemplateModule.self, ["src": "blocks.j2", "dest": .string(dest), "lstrip_blocks": true])
        #expect(try host.read(dest) == "a\nb\nc\n")
        _ = try await host.run(TemplateModule.self, ["src": "blocks.j2", "dest": .string(dest), "lstrip_blocks": true, "trim_blocks": false])
        #expect(try host.read(dest) == "a\n\nb\n\nc\n")
        _ = try await host.run(TemplateModule.self, ["src": "blocks.j2", "dest": .string(dest), "lstrip_blocks": true, "newline_sequence": "\\r\\n"])
        #expect(try host.sh("od -An -c \(dest) | tr -s ' '") == " a \\r \\n b \\r \\n c \\r \\n\n")
    }

    @Test func validateAndBackup() async throws {
        try template("checked.j2", "{{ word }}\n")
        let host = try await host(variables: ["word": "bad"])
        let dest = host.root + "/checked"
        try host.sh("echo good > \(dest)")
        await #expect { try await host.run(TemplateModule.self, ["src": "checked.j2", "dest": .string(dest), "validate": "grep -q good %s"]) } throws: { error in
            "\(error)".contains("validation failed")
        }
        #expect(try host.read(dest) == "good\n")
        #expect(try host.sh("ls -A \(host.root)") == "checked\n", "no temporary file is left behind")
        let good = try await self.host(variables: ["word": "good too"])
        let result = try await good.run(TemplateModule.self, ["src": "checked.j2", "dest": .string(dest), "validate": "grep -q good %s", "backup": true])
        let backup = try #require(result.values["backup_file"]?.stringValue)
        #expect(try host.read(backup) == "good\n")
        #expect(try host.read(dest) == "good too\n")
    }

    @Test func forceNoLeavesAnExistingFile() async throws {
        try template("once.j2", "new\n")
        let host = try await host(variables: [:])
        let dest = host.root + "/once"
        try host.sh("echo old > \(dest)")
        #expect(try await host.run(TemplateModule.self, ["src": "once.j2", "dest": .string(dest), "force": false]).changed == false)
        #expect(try host.read(dest) == "old\n")
    }

    /// Ansible's search path for include, import and extends: the templates/ folder and the folder itself
    /// of each search path (here the role), then the template's own folder.
    @Test func extendsImportAndIncludeFindTheirTemplatesOnAnsiblesSearchPath() async throws {
        try template("base.j2", "# {{ ansible_managed }}\n{% block body %}\nbase\n{% endblock %}\nend\n")
        try template("site.j2", """
            {% extends 'base.j2' %}
            {% import 'macros.j2' as m %}
            {% block body %}
            {% for b in backends %}
            {{ m.server(b) }}
            {% include 'partials/upstream.j2' %}

            {% endfor %}
            {% endblock %}

            """)
        try controllerFile("macros.j2", "{% macro server(b) %}server {{ b }}{% endmacro %}\n")
        try template("partials/upstream.j2", "upstream {{ b }} port {{ port }}\n")
        try template("sub/page.j2", "{% include 'sibling.j2' %}\n")
        try template("sub/sibling.j2", "sibling {{ port }}\n")
        let host = try await host(variables: ["port": 80, "backends": ["a", "b"]])
        let dest = host.root + "/site.conf"
        try await host.expectConverges(TemplateModule.self, ["src": "site.j2", "dest": .string(dest)])
        #expect(try host.read(dest) == "# Ansible managed\nserver a\nupstream a port 80\nserver b\nupstream b port 80\nend\n")
        try await host.expectConverges(TemplateModule.self, ["src": "sub/page.j2", "dest": .string(host.root + "/page")])
        #expect(try host.read(host.root + "/page") == "sibling 80\n", "a name is also looked up in the template's own folder")
    }

    @Test func aVaultedIncludedTemplateIsDecrypted() async throws {
        let password = "tpl-include-\(UUID().uuidString)"
        TestVaultPasswords.add(password)
        try template("secret.j2", try VaultCipher.encrypt(Array("token={{ token }}\n".utf8), password: Array(password.utf8)).text)
        try template("app.j2", "[app]\n{% include 'secret.j2' %}\n")
        let host = try await host(variables: ["token": "t0k3n"])
        let dest = host.root + "/app.ini"
        try await host.expectConverges(TemplateModule.self, ["src": "app.j2", "dest": .string(dest)])
        #expect(try host.read(dest) == "[app]\ntoken=t0k3n\n")
    }

    @Test func aMissingIncludedTemplateNamesTheSearchPath() async throws {
        try template("broken.j2", "a\n{% include 'nowhere.j2' %}\n")
        let host = try await host(variables: [:])
        await #expect { try await host.run(TemplateModule.self, ["src": "broken.j2", "dest": .string(host.root + "/x")]) } throws: { error in
            "\(error)".contains("template 'nowhere.j2' not found") && "\(error)".contains(controller + "/templates")
                && "\(error)".contains("broken.j2:2")
        }
    }

    @Test func aMissingTemplateOrUndefinedVariableIsAClearError() async throws {
        let host = try await host(variables: [:])
        await #expect { try await host.run(TemplateModule.self, ["src": "nope.j2", "dest": .string(host.root + "/x")]) } throws: { error in
            "\(error)".contains("could not find template 'nope.j2'") && "\(error)".contains("/templates")
        }
        try template("undefined.j2", "{{ missing_variable }}\n")
        await #expect { try await host.run(TemplateModule.self, ["src": "undefined.j2", "dest": .string(host.root + "/x")]) } throws: { error in
            "\(error)".contains("missing_variable")
        }
        #expect(try host.sh("ls -A \(host.root)") == "")
    }
}
