import Foundation
import KeelBase
import KeelVault
import KeelTemplate
import Testing

/// file, fileglob, first_found, template, unvault: controller files through Ansible's search path.
@Suite struct FileLookupTests {
    @Test func fileStripsTrailingWhitespaceByDefault() throws {
        let f = try LookupFixture(files: ["files/motd": "  hello\n\n"])
        #expect(try f.value("lookup('file', 'motd')") == "  hello")
        #expect(try f.value("lookup('file', 'motd', lstrip=True)") == "hello")
        #expect(try f.value("lookup('file', 'motd', rstrip=False)") == "  hello\n\n")
    }

    @Test func theRolesFilesComeBeforeThePlaybooks() throws {
        let f = try LookupFixture(files: ["files/a.txt": "playbook", "roles/web/files/a.txt": "role", "b.txt": "beside the playbook"])
        #expect(try f.value("lookup('file', 'a.txt')") == "role")
        #expect(try f.value("lookup('file', 'b.txt')") == "beside the playbook")
        #expect(try f.value("lookup('file', 'files/a.txt')") == "role")
    }

    @Test func absolutePathsAreReadAsTheyAre() throws {
        let f = try LookupFixture(files: ["x/abs.txt": "abs\n"])
        #expect(try f.value("lookup('file', '\(f.directory)/x/abs.txt')") == "abs")
    }

    @Test func fileglobMatchesFilesNotDirectories() throws {
        let f = try LookupFixture(files: ["files/conf/a.conf": "", "files/conf/b.conf": "", "files/conf/sub.conf/x": "", "roles/web/files/r.conf": ""])
        #expect(try f.value("query('fileglob', 'conf/*.conf')") == [.string(f.directory + "/files/conf/a.conf"), .string(f.directory + "/files/conf/b.conf")])
        #expect(try f.value("query('fileglob', '*.conf')") == [.string(f.directory + "/roles/web/files/r.conf")])
        #expect(try f.value("query('fileglob', 'none/*.x')") == [])
        #expect(try f.value("lookup('fileglob', 'conf/*.conf')") == .string(f.directory + "/files/conf/a.conf," + f.directory + "/files/conf/b.conf"))
    }

    @Test func firstFoundTakesTheFirstExistingCandidate() throws {
        let f = try LookupFixture(files: ["files/default.yml": "", "roles/web/files/debian.yml": "", "vars/os.yml": "", "extra/x.yml": ""])
        #expect(try f.value("lookup('first_found', ['redhat.yml', 'files/debian.yml', 'files/default.yml'])") == .string(f.directory + "/roles/web/files/debian.yml"))
        #expect(try f.value("lookup('first_found', 'nope.yml,files/default.yml')") == .string(f.directory + "/files/default.yml"))
        // As in ansible-core 2.19, only with_first_found adds files/ to the search path's directories.
        #expect(throws: KeelError.self) { try f.value("lookup('first_found', ['debian.yml'])") }
        // Every file in the first path, then every file in the next.
        #expect(try f.value("lookup('first_found', {'files': ['os.yml', 'x.yml'], 'paths': ['extra', 'vars']})") == .string(f.directory + "/extra/x.yml"))
        #expect(try f.value("lookup('first_found', {'files': ['os.yml'], 'paths': 'nope:vars'})") == .string(f.directory + "/vars/os.yml"))
        #expect(try f.value("lookup('first_found', files=['os.yml'], paths=['vars'])") == .string(f.directory + "/vars/os.yml"))
        #expect(try f.value("query('first_found', {'files': ['nope'], 'skip': True})") == [])
        #expect(throws: KeelError.self) { try f.value("lookup('first_found', ['nope1', 'nope2'])") }
    }

    @Test func withFirstFoundOnATemplateTaskLooksInTemplates() throws {
        let f = try LookupFixture(files: ["roles/web/templates/site.conf.j2": "", "roles/web/files/site.conf.j2": ""])
        #expect(try f.loop("first_found", ["site.conf.j2"], subdirectory: "templates") == [.string(f.directory + "/roles/web/templates/site.conf.j2")])
        #expect(try f.loop("first_found", ["site.conf.j2"], subdirectory: "files") == [.string(f.directory + "/roles/web/files/site.conf.j2")])
    }

    @Test func templateRendersWithTheTaskVariablesAndTemplateVars() throws {
        let f = try LookupFixture(files: ["roles/web/templates/t.j2": "port={{ port }} who={{ who }} {{ template_path }}\n", "templates/list.j2": "{{ [1, 2] }}\n"],
                                  variables: ["port": 8080])
        #expect(try f.value("lookup('template', 't.j2', template_vars={'who': 'me'})") == "port=8080 who=me t.j2\n")
        #expect(try f.value("lookup('template', 'list.j2')") == [1, 2])
        #expect(throws: KeelError.self) { try f.value("lookup('template', 'missing.j2')") }
    }

    @Test func aTemplateErrorIsLocatedInTheTemplateFile() throws {
        let f = try LookupFixture(files: ["templates/bad.j2": "line one\n{{ undefined_thing }}\n"])
        do {
            _ = try f.value("lookup('template', 'bad.j2')")
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.location?.file.hasSuffix("templates/bad.j2") == true)
            #expect(error.location?.line == 2)
        }
    }

    @Test func aTemplateThatLooksItselfUpIsAnErrorNotACrash() throws {
        let f = try LookupFixture(files: ["templates/loop.j2": "x{{ lookup('template', 'loop.j2') }}"])
        do {
            _ = try f.value("lookup('template', 'loop.j2')")
            Issue.record("expected an error")
        } catch let error as KeelError {
            #expect(error.message == "the lookup plugin 'template' failed: template lookups nested more than 32 deep (a template that looks itself up?)")
        }
    }

    @Test func unvaultReadsPlainFilesDecryptsVaultedOnesAndRefusesBrokenOnes() throws {
        // The keyring is the process's: add a password of this test's own, never replace the others'.
        let password = "unvault-lookup-test-password"
        if !VaultKeyring.shared.identities.contains(where: { $0.password == Array(password.utf8) }) {
            VaultKeyring.shared.identities.append(VaultIdentity(label: "lookup-test", password: password, source: "test"))
        }
        let vaulted = try VaultCipher.encrypt(Array("decrypted secret\n".utf8), password: Array(password.utf8)).text
        let f = try LookupFixture(files: ["files/plain.txt": "secret\n", "files/vaulted.txt": vaulted,
                                          "files/broken.txt": "$ANSIBLE_VAULT;1.1;AES256\n6162\n"])
        #expect(try f.value("lookup('unvault', 'plain.txt')") == "secret\n")
        #expect(try f.value("lookup('unvault', 'vaulted.txt')") == "decrypted secret\n")
        #expect(try f.value("lookup('file', 'vaulted.txt')") == "decrypted secret")
        #expect(throws: KeelError.self) { try f.value("lookup('unvault', 'broken.txt')") }
    }
}
