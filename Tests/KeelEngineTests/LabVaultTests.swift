import Foundation
import KeelLab
import KeelTestSupport
import KeelVault
import Testing

/// Issue 16 end to end, with the real binary and a lab host: a vaulted group_vars file, an inline
/// `!vault` value, a vaulted template and a vaulted copy source; two vault ids (a password file and an
/// executable script); the host gets the plaintext and the secrets show up nowhere in what keel prints.
@Suite("Vault with keel play") struct LabVaultTests {
    let lab = Lab()

    static let fileSecret = "Zq9-group-vars-secret"
    static let inlineSecret = "Tk7-inline-token-secret"
    static let copySecret = "Lic-copy-source-secret-42"
    static let templateLine = "# template-source-marker-91"
    static let markedSecret = "Pl4in-but-marked-sensitive"
    static var secrets: [String] { [fileSecret, inlineSecret, copySecret, templateLine, markedSecret] }

    struct Project {
        let directory: String
        let host: LabHost

        func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
            try KeelCLI.run(arguments, in: directory, environment: environment)
        }
    }

    func write(_ text: String, to path: String, mode: Int = 0o644) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: path)
    }

    func vault(_ text: String, password: String, label: String? = nil) throws -> String {
        try VaultCipher.encrypt(Array(text.utf8), password: Array(password.utf8), label: label).text
    }

    /// The project: default-id password file for the vars file and the copy source; the `prod` id's
    /// password comes from an executable for the inline value and the template.
    func project(_ prefix: String) async throws -> Project {
        let host = try await LabFixture.shared.hosts(1, prefix: prefix)[0]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-vault-\(UUID().uuidString)").path
        try write(LabInventory.ini([host]), to: directory + "/inventory.ini")
        try write("file-password\n", to: directory + "/vault-pass.txt", mode: 0o600)
        try write("#!/bin/sh\necho 'script-password'\n", to: directory + "/prod-pass.sh", mode: 0o700)
        try write(try vault("db_password: \(Self.fileSecret)\napp_user: deploy\n", password: "file-password"),
                  to: directory + "/group_vars/lab.yml")
        try write(try vault("license=\(Self.copySecret)\n", password: "file-password"), to: directory + "/files/license.conf")
        try write(try vault("\(Self.templateLine)\ndb={{ db_password }}\ntoken={{ api_token }}\nuser={{ app_user }}\nport={{ app_port }}\n",
                            password: "script-password", label: "prod"), to: directory + "/templates/app.conf.j2")
        try write(try vault("#!/bin/sh\necho ran > /etc/keel-vault/script.out\n", password: "file-password"), to: directory + "/files/setup.sh")
        // A vaulted tar archive: made here, then encrypted in place.
        try write("archived content\n", to: directory + "/archive-src/bundle/data.txt")
        let tar = Process()
        tar.executableURL = URL(fileURLWithPath: "/bin/tar")
        tar.arguments = ["-C", directory + "/archive-src", "-czf", directory + "/files/bundle.tar.gz", "bundle"]
        try tar.run()
        tar.waitUntilExit()
        let archive = try Data(contentsOf: URL(fileURLWithPath: directory + "/files/bundle.tar.gz"))
        try VaultCipher.encrypt(Array(archive), password: Array("file-password".utf8)).text
            .write(toFile: directory + "/files/bundle.tar.gz", atomically: true, encoding: .utf8)
        let inline = try vault(Self.inlineSecret, password: "script-password", label: "prod")
            .split(separator: "\n").map { "        " + $0 }.joined(separator: "\n")
        try write("""
            - hosts: lab
              gather_facts: false
              vars:
                app_port: 8080
                keel_sensitive_vars: [dsn]
                dsn: "postgres://app:\(Self.markedSecret)@db/app"
                api_token: !vault |
            \(inline)
              tasks:
                - name: the directory
                  file: path=/etc/keel-vault state=directory mode=0700
                - name: vaulted copy source
                  copy: src=license.conf dest=/etc/keel-vault/license.conf mode=0600
                - name: vaulted template source
                  template: src=app.conf.j2 dest=/etc/keel-vault/app.conf mode=0600
                - name: vaulted script
                  script: setup.sh creates=/etc/keel-vault/script.out
                - name: vaulted archive
                  unarchive: src=bundle.tar.gz dest=/etc/keel-vault creates=/etc/keel-vault/bundle/data.txt
                - name: show the secrets
                  debug:
                    msg: "db {{ db_password }} token {{ api_token }} dsn {{ dsn }}"
                - name: a failing command that prints a secret
                  shell: "echo {{ db_password }}; echo {{ api_token }} >&2; exit 3"
                  ignore_errors: true
                - name: a failure whose message holds a secret
                  fail:
                    msg: "cannot log in with {{ db_password }}"
                  ignore_errors: true
            """, to: directory + "/site.yml")
        return Project(directory: directory, host: host)
    }

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout
    }

    @Test("vaulted vars, inline values and src files converge a host, and no secret is ever printed")
    func convergesWithoutPrintingSecrets() async throws {
        let project = try await project("eng-vault")
        defer { try? FileManager.default.removeItem(atPath: project.directory) }
        _ = try inspect(project.host, "rm -rf /etc/keel-vault")
        let passwords = ["--vault-password-file", "vault-pass.txt", "--vault-id", "prod@prod-pass.sh"]

        let first = try project.run(["play", "-i", "inventory.ini", "site.yml", "--diff"] + passwords)
        #expect(first.status == 0, "\(first.output)")
        #expect(try inspect(project.host, "cat /etc/keel-vault/license.conf") == "license=\(Self.copySecret)\n")
        #expect(try inspect(project.host, "cat /etc/keel-vault/app.conf")
                == "\(Self.templateLine)\ndb=\(Self.fileSecret)\ntoken=\(Self.inlineSecret)\nuser=deploy\nport=8080\n")
        #expect(first.output.contains("********"), "secrets are shown masked: \(first.output)")
        #expect(try inspect(project.host, "cat /etc/keel-vault/script.out /etc/keel-vault/bundle/data.txt") == "ran\narchived content\n")
        #expect(first.output.contains("+port=8080"), "the diff still shows what is not secret: \(first.output)")
        #expect(first.output.contains("+db=********"), "\(first.output)")
        // Every string of a vaulted vars file is secret, not only the one that looks like a password.
        #expect(first.output.contains("+user=********"), "\(first.output)")
        #expect(first.output.contains("cannot log in with ********"), "\(first.output)")
        #expect(first.output.contains("a failing command that prints a secret"))
        // The registered result a failure shows with -v carries the command's output.
        let verbose = try project.run(["play", "-i", "inventory.ini", "site.yml", "-vvv"] + passwords)
        #expect(verbose.output.contains("********"), "\(verbose.output)")
        for secret in Self.secrets { #expect(!verbose.output.contains(secret), "'\(secret)' printed with -vvv:\n\(verbose.output)") }
        for secret in Self.secrets { #expect(!first.output.contains(secret), "'\(secret)' printed:\n\(first.output)") }

        // Converged: nothing to change, and the JSON event stream masks the secrets too.
        let second = try project.run(["play", "-i", "inventory.ini", "site.yml", "--output", "json", "--diff"] + passwords)
        #expect(second.status == 0, "\(second.output)")
        #expect(second.output.contains("\"event\":\"host_result\"") || second.output.contains("\"event\": \"host_result\""), "\(second.output)")
        let changed = second.output.split(separator: "\n").filter { $0.contains("\"changed\":true") && !$0.contains("a failing command") && !$0.contains("a failure whose") }
        #expect(changed.isEmpty, "a second run changes nothing: \(changed)")
        for secret in Self.secrets { #expect(!second.output.contains(secret), "'\(secret)' in JSON:\n\(second.output)") }

        // Check mode with a diff, after the host's file drifted: the prediction shows the change masked.
        _ = try inspect(project.host, "echo drift >> /etc/keel-vault/app.conf")
        let check = try project.run(["play", "-i", "inventory.ini", "site.yml", "--check", "--diff"] + passwords)
        #expect(check.output.contains("-drift"), "\(check.output)")
        for secret in Self.secrets { #expect(!check.output.contains(secret), "'\(secret)' in check output:\n\(check.output)") }
    }

    @Test("ANSIBLE_VAULT_IDENTITY_LIST and ANSIBLE_VAULT_PASSWORD_FILE supply the passwords")
    func environmentPasswords() async throws {
        let project = try await project("eng-vault-env")
        defer { try? FileManager.default.removeItem(atPath: project.directory) }
        let result = try project.run(["play", "-i", "inventory.ini", "site.yml"],
                                     environment: ["ANSIBLE_VAULT_IDENTITY_LIST": "prod@prod-pass.sh",
                                                   "ANSIBLE_VAULT_PASSWORD_FILE": "vault-pass.txt"])
        #expect(result.status == 0, "\(result.output)")
        for secret in Self.secrets { #expect(!result.output.contains(secret)) }
    }

    @Test("a corrupted vaulted file, a wrong password or a missing id stop the run at the file before any host is touched")
    func locatedErrorsBeforeAnyHost() async throws {
        let project = try await project("eng-vault-bad")
        defer { try? FileManager.default.removeItem(atPath: project.directory) }
        _ = try inspect(project.host, "rm -rf /etc/keel-vault")

        // Without the prod id, the inline value in site.yml cannot be opened: its line is named.
        let missing = try project.run(["play", "-i", "inventory.ini", "site.yml", "--vault-password-file", "vault-pass.txt"])
        #expect(missing.status == 1, "\(missing.output)")
        #expect(missing.output.contains("site.yml:7:"), "\(missing.output)")
        #expect(missing.output.contains("prod"), "the data's vault id is named: \(missing.output)")

        // One changed bit in the group_vars file's ciphertext: the HMAC check fails, located at the file.
        let path = project.directory + "/group_vars/lab.yml"
        var envelope = try VaultEnvelope.parse(try String(contentsOfFile: path, encoding: .utf8))
        envelope.ciphertext[3] ^= 0x10
        let text = envelope.text
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let corrupted = try project.run(["play", "-i", "inventory.ini", "site.yml",
                                         "--vault-password-file", "vault-pass.txt", "--vault-id", "prod@prod-pass.sh"])
        #expect(corrupted.status == 1, "\(corrupted.output)")
        #expect(corrupted.output.contains("group_vars/lab.yml:1:1"), "\(corrupted.output)")
        #expect(corrupted.output.contains("Decryption failed"), "\(corrupted.output)")
        #expect(corrupted.output.contains("HMAC"), "\(corrupted.output)")

        let wrong = project.directory + "/wrong.txt"
        try "not-the-password\n".write(toFile: wrong, atomically: true, encoding: .utf8)
        let wrongRun = try project.run(["play", "-i", "inventory.ini", "site.yml", "--vault-password-file", wrong,
                                        "--vault-id", "prod@prod-pass.sh"])
        #expect(wrongRun.status == 1, "\(wrongRun.output)")
        #expect(wrongRun.output.contains("group_vars/lab.yml:1:1"), "\(wrongRun.output)")
        #expect(!wrongRun.output.contains("PLAY RECAP"), "nothing ran: \(wrongRun.output)")
        #expect(try inspect(project.host, "test -e /etc/keel-vault && echo touched || echo untouched") == "untouched\n")
    }
}
