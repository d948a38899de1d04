import Foundation
import KeelBase
import KeelTemplate
import Testing

/// env, vars, varnames, config, pipe, lines: values from the controller and the task's variables.
@Suite struct ValueLookupTests {
    @Test func envReadsTheControllersEnvironment() throws {
        let f = try LookupFixture()
        let home = ProcessInfo.processInfo.environment["HOME"] ?? ""
        #expect(try f.value("lookup('env', 'HOME')") == .string(home))
        #expect(try f.value("lookup('env', 'KEEL_SURELY_UNSET_VARIABLE')") == "")
        #expect(try f.value("lookup('env', 'KEEL_SURELY_UNSET_VARIABLE', default='d')") == "d")
        #expect(try f.loop("env", ["HOME"]) == [.string(home)])
    }

    @Test func varsTemplatesTheNamedVariables() throws {
        let f = try LookupFixture(variables: ["port": 80, "name_port": "{{ port }}"])
        #expect(try f.value("lookup('vars', 'port')") == 80)
        #expect(try f.value("query('vars', 'port', 'inventory_hostname')") == [80, "web1"])
        #expect(try f.value("lookup('vars', 'nope', default='x')") == "x")
        #expect(throws: KeelError.self) { try f.value("lookup('vars', 'nope')") }
    }

    @Test func varnamesListsMatchingNames() throws {
        let f = try LookupFixture(variables: ["app_port": 1, "app_host": 2, "other": 3])
        #expect(try f.value("query('varnames', '^app_') | sort") == ["app_host", "app_port"])
        #expect(try f.value("query('varnames', 'port$', 'other') | sort") == ["app_port", "other"])
    }

    @Test func configAnswersCommonSettings() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('config', 'DEFAULT_BECOME_METHOD')") == "sudo")
        #expect(try f.value("query('config', 'DEFAULT_FORKS', 'HOST_KEY_CHECKING')") == [5, true])
        let roles = try f.value("lookup('config', 'DEFAULT_ROLES_PATH')")
        #expect(roles.listValue?.dropFirst() == ["/usr/share/ansible/roles", "/etc/ansible/roles"])
        #expect(try f.value("query('config', 'NOT_A_SETTING', on_missing='skip')") == [])
        #expect(throws: KeelError.self) { try f.value("lookup('config', 'NOT_A_SETTING')") }
    }

    @Test func urlRefusesWhatKeelCannotHonour() throws {
        let f = try LookupFixture()
        #expect(throws: KeelError.self) { try f.value("lookup('url', 'https://example.invalid/', validate_certs=False)") }
        #expect(throws: KeelError.self) { try f.value("lookup('url', 'ftp://example.invalid/')") }
        #expect(throws: KeelError.self) { try f.value("lookup('url', 'http://127.0.0.1:1/', timeout=2)") }
        #expect(try f.value("lookup('url', 'http://127.0.0.1:1/', errors='ignore')") == .null)
    }

    @Test func pipeRunsInThePlaybookDirectory() throws {
        let f = try LookupFixture()
        #expect(try f.value("lookup('pipe', 'pwd')") == .string(f.directory))
        #expect(try f.value("lookup('pipe', 'printf \"a \\n\\n\"')") == "a")
        #expect(throws: KeelError.self) { try f.value("lookup('pipe', 'exit 3')") }
    }

    @Test func linesGivesOneItemPerLine() throws {
        let f = try LookupFixture()
        #expect(try f.value("query('lines', 'printf \"a\\nb\\n\"')") == ["a", "b"])
        #expect(try f.loop("lines", ["printf 'x\\ny'"]) == ["x", "y"])
    }
}
