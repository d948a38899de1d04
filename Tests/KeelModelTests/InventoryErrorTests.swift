import Foundation
import KeelBase
import KeelModel
import Testing

/// Bad inventories fail with the file, line and column of the mistake and what was expected.
@Suite("Inventory errors are located")
struct InventoryErrorTests {
    /// Writes `text` to a scratch file named `name` and loads it, returning the error.
    func loadError(_ text: String, name: String = "hosts.ini", extra: [String: String] = [:]) throws -> (KeelError, String) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-inv-err-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (path, content) in extra {
            let url = dir.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try content.write(to: url, atomically: true, encoding: .utf8)
        }
        let file = dir.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            _ = try Inventory.load(sources: [file.path])
        } catch let error as KeelError {
            return (error, file.path)
        }
        Issue.record("loading succeeded but an error was expected")
        throw KeelError("no error")
    }

    @Test("an unknown section type names the section, line and column, and suggests the closest type")
    func unknownSectionType() throws {
        let (error, file) = try loadError("[web]\nw1\n\n  [web:var]\nx=1\n")
        #expect(error.location == SourceLocation(file: file, line: 4, column: 8))
        #expect(error.message.contains("unknown type: var"))
        #expect(error.suggestion == "[web:vars]")
    }

    @Test("a section header with spaces is an invalid section entry")
    func invalidSectionEntry() throws {
        let (error, file) = try loadError("[web servers]\nw1\n")
        #expect(error.location == SourceLocation(file: file, line: 1, column: 1))
        #expect(error.message.contains("invalid section entry"))
    }

    @Test("a [group:vars] line without '=' expects key=value")
    func varsLineWithoutEquals() throws {
        let (error, file) = try loadError("[web]\nw1\n[web:vars]\n# fine\njust_a_word\n")
        #expect(error.location == SourceLocation(file: file, line: 5, column: 1))
        #expect(error.expected == "key=value")
        #expect(error.found == "just_a_word")
    }

    @Test("a host variable without '=' expects key=value, pointing at the word")
    func hostVariableWithoutEquals() throws {
        let (error, file) = try loadError("[web]\n  w1 x=1 ansible_user\n")
        #expect(error.location == SourceLocation(file: file, line: 2, column: 10))
        #expect(error.found == "ansible_user")
    }

    @Test("a range with begin and end of different widths is rejected at its line")
    func badRangeWidth() throws {
        let (error, file) = try loadError("[web]\nweb[01:100]\n")
        #expect(error.location == SourceLocation(file: file, line: 2, column: 1))
        #expect(error.message.contains("equal-length"))
    }

    @Test("a range with three colons is rejected")
    func badRangeShape() throws {
        let (error, _) = try loadError("[web]\nweb[1:2:3:4]\n")
        #expect(error.message.contains("begin:end"))
    }

    @Test("[g:children] naming a group that never appears points at that line and suggests a close name")
    func undefinedChild() throws {
        let (error, file) = try loadError("[webservers]\nw1\n[prod:children]\nwebserver\n")
        #expect(error.location == SourceLocation(file: file, line: 4, column: 1))
        #expect(error.message.contains("undefined group 'webserver'"))
        #expect(error.suggestion == "webservers")
    }

    @Test("[g:vars] for a group that is never declared is an error at the section header")
    func varsForUndefinedGroup() throws {
        let (error, file) = try loadError("[web]\nw1\n[db:vars]\nport=1\n")
        #expect(error.location == SourceLocation(file: file, line: 3, column: 1))
        #expect(error.message.contains("[db:vars]"))
    }

    @Test("groups that contain each other are a dependency loop")
    func childLoop() throws {
        let (error, file) = try loadError("[a:children]\nb\n[b:children]\na\n")
        #expect(error.location?.file == file)
        #expect(error.location?.line == 4)
        #expect(error.message.contains("recursive dependency loop"))
    }

    @Test("an unterminated quote in a host line is an error")
    func unterminatedQuote() throws {
        let (error, file) = try loadError("[web]\nw1 msg=\"oops\n")
        #expect(error.location == SourceLocation(file: file, line: 2, column: 1))
        #expect(error.message.contains("no closing quotation"))
    }

    @Test("YAML: hosts given as a list is an error at the list")
    func yamlHostsAsList() throws {
        let (error, file) = try loadError("all:\n  children:\n    web:\n      hosts:\n        - w1\n", name: "hosts.yml")
        #expect(error.location == SourceLocation(file: file, line: 5, column: 9))
        #expect(error.expected == "a mapping")
    }

    @Test("YAML: a host's variables must be a mapping")
    func yamlHostVarsNotMapping() throws {
        let (error, file) = try loadError("web:\n  hosts:\n    w1: just-a-string\n", name: "hosts.yml")
        #expect(error.location == SourceLocation(file: file, line: 3, column: 9))
        #expect(error.message.contains("'w1'"))
    }

    @Test("YAML: a bad range in a host key points at the key")
    func yamlBadRange() throws {
        let (error, file) = try loadError("web:\n  hosts:\n    w[1:]:\n", name: "hosts.yml")
        #expect(error.location == SourceLocation(file: file, line: 3, column: 5))
        #expect(error.message.contains("end value"))
    }

    @Test("YAML syntax errors in a .yml inventory keep libyaml's location")
    func yamlSyntax() throws {
        let (error, file) = try loadError("web:\n  hosts: [w1\n", name: "hosts.yml")
        #expect(error.location?.file == file)
        #expect(error.message.hasPrefix("invalid YAML"))
    }

    @Test("a group_vars file that is not a mapping is an error in that file")
    func groupVarsNotMapping() throws {
        let (error, file) = try loadError("[web]\nw1\n", extra: ["group_vars/web.yml": "- a\n- b\n"])
        #expect(error.location?.file == (file as NSString).deletingLastPathComponent + "/group_vars/web.yml")
        #expect(error.location?.line == 1)
        #expect(error.message.contains("mapping"))
    }

    @Test("a missing inventory source is an error naming it")
    func missingSource() throws {
        #expect { try Inventory.load(sources: ["/nonexistent/inventory.ini"]) } throws: { error in
            (error as? KeelError)?.message.contains("/nonexistent/inventory.ini") == true
        }
    }

    @Test("without a vault password, a !vault value in group_vars is an error at its location")
    func vaultValue() throws {
        let vaulted = "password: !vault |\n  $ANSIBLE_VAULT;1.1;AES256\n  6162636465\n"
        let (error, file) = try loadError("[web]\nw1\n", extra: ["group_vars/web.yml": vaulted])
        #expect(error.location?.file == (file as NSString).deletingLastPathComponent + "/group_vars/web.yml")
        #expect(error.location?.line == 1)
        #expect(error.message.contains("vault"))
    }

    @Test("without a vault password, a vault-encrypted inventory file is an error at its first line")
    func vaultFile() throws {
        let (error, file) = try loadError("$ANSIBLE_VAULT;1.1;AES256\n6162\n", name: "hosts.yml")
        #expect(error.location == SourceLocation(file: file, line: 1, column: 1))
        #expect(error.message.contains("vault"))
    }
}
