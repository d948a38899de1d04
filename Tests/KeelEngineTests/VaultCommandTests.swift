import Foundation
import KeelTestSupport
import Testing

/// `keel vault` against ansible-vault (ansible-core from the oracle virtualenv): files and strings made
/// by one are read by the other, in both directions, for every command.
@Suite("keel vault and ansible-vault") struct VaultCommandTests {
    let work: String

    init() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("keel-vaultcmd-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work + "/tmp", withIntermediateDirectories: true)
        try "first-password\n".write(toFile: work + "/pw1", atomically: true, encoding: .utf8)
        try "second-password\n".write(toFile: work + "/pw2", atomically: true, encoding: .utf8)
    }

    func keel(_ arguments: [String], environment: [String: String] = [:], stdin: String? = nil) throws -> (status: Int32, output: String) {
        try KeelCLI.run(arguments, in: work, environment: ["TMPDIR": work + "/tmp"].merging(environment) { $1 }, stdin: stdin)
    }

    func ansible(_ tool: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try AnsibleTool.run(tool, arguments, home: work + "/ansible-home", currentDirectory: work, environment: environment)
    }

    func write(_ name: String, _ text: String) throws { try text.write(toFile: work + "/" + name, atomically: true, encoding: .utf8) }
    func read(_ name: String) throws -> String { try String(contentsOfFile: work + "/" + name, encoding: .utf8) }

    @Test("encrypt, view and decrypt: Keel's files open in ansible-vault and ansible-vault's in Keel")
    func encryptDecryptBothWays() throws {
        try write("keel.yml", "secret: from-keel\n")
        var result = try keel(["vault", "encrypt", "--vault-password-file", "pw1", "keel.yml"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try read("keel.yml").hasPrefix("$ANSIBLE_VAULT;1.1;AES256\n"))
        result = try ansible("ansible-vault", ["view", "--vault-password-file", "pw1", "keel.yml"])
        #expect(result.status == 0 && result.output.contains("secret: from-keel"), "\(result.output)")

        try write("ansible.yml", "secret: from-ansible\n")
        result = try ansible("ansible-vault", ["encrypt", "--vault-id", "prod@pw2", "ansible.yml"])
        #expect(result.status == 0, "\(result.output)")
        result = try keel(["vault", "view", "--vault-id", "prod@pw2", "ansible.yml"])
        #expect(result.status == 0 && result.output.contains("secret: from-ansible"), "\(result.output)")
        result = try keel(["vault", "decrypt", "--vault-id", "prod@pw2", "ansible.yml"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try read("ansible.yml") == "secret: from-ansible\n")

        // Keel's 1.2 output with an id, decrypted in place by ansible-vault.
        try write("labelled.txt", "labelled\n")
        result = try keel(["vault", "encrypt", "--vault-id", "ops@pw2", "labelled.txt"])
        #expect(try read("labelled.txt").hasPrefix("$ANSIBLE_VAULT;1.2;AES256;ops\n"))
        result = try ansible("ansible-vault", ["decrypt", "--vault-id", "ops@pw2", "labelled.txt"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try read("labelled.txt") == "labelled\n")
    }

    @Test("a wrong password fails in both with 'Decryption failed' and leaves the file as it was")
    func wrongPassword() throws {
        try write("f.yml", "a: 1\n")
        _ = try keel(["vault", "encrypt", "--vault-password-file", "pw1", "f.yml"])
        let before = try read("f.yml")
        let keelResult = try keel(["vault", "decrypt", "--vault-password-file", "pw2", "f.yml"])
        let ansibleResult = try ansible("ansible-vault", ["decrypt", "--vault-password-file", "pw2", "f.yml"])
        #expect(keelResult.status != 0 && ansibleResult.status != 0)
        #expect(keelResult.output.contains("Decryption failed"), "\(keelResult.output)")
        #expect(ansibleResult.output.contains("Decryption failed"), "\(ansibleResult.output)")
        #expect(try read("f.yml") == before)
    }

    @Test("encrypt_string: Keel's values are read by ansible, ansible-vault's by keel play")
    func encryptString() throws {
        var result = try keel(["vault", "encrypt_string", "--vault-password-file", "pw1", "--name", "db_password", "keel-string-value"])
        #expect(result.status == 0, "\(result.output)")
        let yaml = result.output.components(separatedBy: "Encryption successful")[0]
        #expect(yaml.hasPrefix("db_password: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n"), "\(yaml)")
        try write("vars.yml", yaml)
        result = try ansible("ansible", ["localhost", "-c", "local", "-i", "localhost,", "-m", "debug", "-a", "var=db_password",
                                         "-e", "@vars.yml", "--vault-password-file", "pw1"])
        #expect(result.output.contains("\"db_password\": \"keel-string-value\""), "\(result.output)")

        result = try ansible("ansible-vault", ["encrypt_string", "--vault-id", "app@pw2", "--name", "token", "ansible-string-value"])
        #expect(result.status == 0, "\(result.output)")
        let start = result.output.range(of: "token: !vault")!.lowerBound
        try write("ansible-vars.yml", String(result.output[start...]).components(separatedBy: "Encryption successful")[0])
        try write("site.yml", """
            - hosts: localhost
              gather_facts: false
              vars_files: [ansible-vars.yml]
              tasks:
                - copy: content="{{ token }}" dest=\(work)/token.out
            """)
        result = try keel(["play", "-i", "localhost,", "-e", "ansible_connection=local", "site.yml", "--vault-id", "app@pw2"])
        #expect(result.status == 0, "\(result.output)")
        #expect(try read("token.out") == "ansible-string-value")

        // From standard input, with --stdin-name.
        result = try keel(["vault", "encrypt_string", "--vault-password-file", "pw1", "--stdin-name", "piped"], stdin: "piped-value")
        #expect(result.output.hasPrefix("piped: !vault |"), "\(result.output)")
    }

    @Test("rekey, edit and create keep files ansible-vault can read, and leave no plaintext behind")
    func rekeyEditCreate() throws {
        try write("r.yml", "k: v\n")
        _ = try keel(["vault", "encrypt", "--vault-password-file", "pw1", "r.yml"])
        var result = try keel(["vault", "rekey", "--vault-password-file", "pw1", "--new-vault-password-file", "pw2", "r.yml"])
        #expect(result.status == 0, "\(result.output)")
        result = try ansible("ansible-vault", ["view", "--vault-password-file", "pw2", "r.yml"])
        #expect(result.status == 0 && result.output.contains("k: v"), "\(result.output)")

        // An "editor" that appends a line: the file is re-encrypted, with the same password.
        try write("append.sh", "#!/bin/sh\necho 'added: line' >> \"$1\"\n")
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: work + "/append.sh")
        result = try keel(["vault", "edit", "--vault-password-file", "pw2", "r.yml"], environment: ["EDITOR": work + "/append.sh"])
        #expect(result.status == 0, "\(result.output)")
        result = try ansible("ansible-vault", ["view", "--vault-password-file", "pw2", "r.yml"])
        #expect(result.output.contains("k: v") && result.output.contains("added: line"), "\(result.output)")

        result = try keel(["vault", "create", "--vault-password-file", "pw1", "new.yml"], environment: ["EDITOR": work + "/append.sh"])
        #expect(result.status == 0, "\(result.output)")
        result = try ansible("ansible-vault", ["view", "--vault-password-file", "pw1", "new.yml"])
        #expect(result.output.contains("added: line"), "\(result.output)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: work + "/tmp").isEmpty, "the editor's plaintext copy is removed")
    }
}
