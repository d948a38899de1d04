import Foundation
import KeelBase
import KeelTestSupport
import KeelVault
import Testing

/// The vault format against ansible-vault itself (ansible-core from the oracle virtualenv): what one
/// encrypts the other decrypts, byte for byte the same output for the same salt, and the same refusals.
@Suite("Ansible Vault format")
struct VaultFormatTests {
    let work: String

    init() throws {
        work = FileManager.default.temporaryDirectory.appendingPathComponent("keel-vault-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func file(_ name: String, _ text: String) throws -> String {
        let path = work + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func ansibleVault(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        try AnsibleTool.run("ansible-vault", arguments, home: work + "/ansible-home", currentDirectory: work, environment: environment)
    }

    @Test("ansible-vault's files (1.1) and vault-id files (1.2) decrypt, and the id is read from the header")
    func decryptsAnsibleVault() throws {
        let plain = try file("plain.yml", "db_password: s3cr3t-Ünïcode\nport: 5432\n")
        let password = try file("pw", "correct horse\n")
        var result = try ansibleVault(["encrypt", "--vault-password-file", password, "--output", work + "/v11.yml", plain])
        #expect(result.status == 0, "\(result.output)")
        result = try ansibleVault(["encrypt", "--vault-id", "prod@" + password, "--output", work + "/v12.yml", plain])
        #expect(result.status == 0, "\(result.output)")

        let v11 = try String(contentsOfFile: work + "/v11.yml", encoding: .utf8)
        let v12 = try String(contentsOfFile: work + "/v12.yml", encoding: .utf8)
        #expect(v11.hasPrefix("$ANSIBLE_VAULT;1.1;AES256\n"))
        #expect(v12.hasPrefix("$ANSIBLE_VAULT;1.2;AES256;prod\n"))
        let keyring = VaultKeyring(identities: [VaultIdentity(label: "prod", password: "correct horse", source: "test")])
        let here = SourceLocation(file: "v.yml", line: 1, column: 1)
        #expect(String(decoding: try keyring.decrypt(v11, at: here), as: UTF8.self) == "db_password: s3cr3t-Ünïcode\nport: 5432\n")
        #expect(String(decoding: try keyring.decrypt(v12, at: here), as: UTF8.self) == "db_password: s3cr3t-Ünïcode\nport: 5432\n")
        #expect(try VaultEnvelope.parse(v12).label == "prod")
    }

    @Test("Keel's output decrypts with ansible-vault, 1.1 and 1.2")
    func ansibleDecryptsKeel() throws {
        let password = try file("pw", "pa55word\n")
        for label in ["default", "staging"] {
            let envelope = try VaultCipher.encrypt(Array("secret: \(label)\n".utf8), password: Array("pa55word".utf8), label: label)
            let encrypted = try file("keel-\(label).yml", envelope.text)
            let result = try ansibleVault(["view", "--vault-id", "\(label)@\(password)", encrypted])
            #expect(result.status == 0, "\(result.output)")
            #expect(result.output.contains("secret: \(label)"))
            #expect(envelope.text.hasPrefix(label == "default" ? "$ANSIBLE_VAULT;1.1;AES256\n" : "$ANSIBLE_VAULT;1.2;AES256;staging\n"))
        }
    }

    @Test("with the same salt, Keel writes exactly what ansible-vault writes")
    func byteIdentical() throws {
        let password = try file("pw", "same-salt")
        let plain = try file("plain.txt", "line one\nline two: {{ not_templated }}\n")
        let result = try ansibleVault(["encrypt", "--vault-id", "ops@" + password, "--output", work + "/out", plain],
                                      environment: ["ANSIBLE_VAULT_ENCRYPT_SALT": "0123456789abcdef0123456789abcdef"])
        #expect(result.status == 0, "\(result.output)")
        let ansible = try String(contentsOfFile: work + "/out", encoding: .utf8)
        let keel = try VaultCipher.encrypt(Array("line one\nline two: {{ not_templated }}\n".utf8), password: Array("same-salt".utf8),
                                           label: "ops", salt: Array("0123456789abcdef0123456789abcdef".utf8)).text
        #expect(keel == ansible)
    }

    @Test("a wrong password fails in both, and Keel's error is located and says so")
    func wrongPassword() throws {
        let envelope = try VaultCipher.encrypt(Array("x: 1\n".utf8), password: Array("right".utf8))
        let encrypted = try file("enc.yml", envelope.text)
        let wrong = try file("wrong", "wrong")
        let ansible = try ansibleVault(["view", "--vault-password-file", wrong, encrypted])
        #expect(ansible.status != 0)
        #expect(ansible.output.contains("Decryption failed"))
        let keyring = VaultKeyring(identities: [VaultIdentity(password: "wrong", source: "test")])
        let error = #expect(throws: KeelError.self) {
            try keyring.decrypt(envelope.text, at: SourceLocation(file: encrypted, line: 3, column: 7))
        }
        #expect(error?.description.contains("Decryption failed") == true)
        #expect(error?.description.contains("\(encrypted):3:7") == true)
    }

    @Test("a changed ciphertext fails the HMAC check before anything is decrypted")
    func hmacMismatch() throws {
        let envelope = try VaultCipher.encrypt(Array("token: abc\n".utf8), password: Array("pw".utf8))
        var corrupted = envelope
        corrupted.ciphertext[0] ^= 0x01
        #expect(throws: VaultError.hmacMismatch) { try VaultCipher.decrypt(corrupted, password: Array("pw".utf8)) }
        let keyring = VaultKeyring(identities: [VaultIdentity(password: "pw", source: "test")])
        let error = #expect(throws: KeelError.self) {
            try keyring.decrypt(corrupted.text, at: SourceLocation(file: "group_vars/all.yml", line: 4, column: 3))
        }
        #expect(error?.description.contains("HMAC") == true)
        #expect(error?.description.contains("group_vars/all.yml:4:3") == true)
    }

    @Test("no password at all names the data's vault id; malformed data says what is wrong")
    func missingPasswordAndMalformed() throws {
        let envelope = try VaultCipher.encrypt(Array("a".utf8), password: Array("pw".utf8), label: "prod")
        let none = VaultKeyring()
        let error = #expect(throws: KeelError.self) { try none.decrypt(envelope.text, at: SourceLocation(file: "f", line: 1, column: 1)) }
        #expect(error?.description.contains("no vault password") == true)
        #expect(error?.description.contains("prod") == true)
        let keyring = VaultKeyring(identities: [VaultIdentity(password: "pw", source: "test")])
        #expect(throws: KeelError.self) { try keyring.decrypt("$ANSIBLE_VAULT;1.1;AES256\nzz\n", at: SourceLocation(file: "f", line: 1, column: 1)) }
        #expect(throws: KeelError.self) { try keyring.decrypt("$ANSIBLE_VAULT;1.1;DES\n00\n", at: SourceLocation(file: "f", line: 1, column: 1)) }
    }

    @Test("the data's own vault id is tried first, and any other password still opens 1.1 data")
    func idOrder() throws {
        let prod = try VaultCipher.encrypt(Array("p".utf8), password: Array("prod-pw".utf8), label: "prod")
        let plain = try VaultCipher.encrypt(Array("d".utf8), password: Array("dev-pw".utf8))
        let keyring = VaultKeyring(identities: [VaultIdentity(label: "dev", password: "dev-pw", source: "a"),
                                                VaultIdentity(label: "prod", password: "prod-pw", source: "b")])
        let here = SourceLocation(file: "f", line: 1, column: 1)
        #expect(try keyring.decrypt(prod.text, at: here) == Array("p".utf8))
        #expect(try keyring.decrypt(plain.text, at: here) == Array("d".utf8))
    }

    @Test("key derivation is cached: decrypting the same data again does not derive again")
    func derivationCache() throws {
        let envelope = try VaultCipher.encrypt(Array("cached".utf8), password: Array("pw-cache".utf8))
        let started = ContinuousClock.now
        for _ in 0..<200 { _ = try VaultCipher.decrypt(envelope, password: Array("pw-cache".utf8)) }
        // 200 derivations of 10,000 rounds each would take seconds; cached, this is about nothing. The bound is
        // deliberately loose (a loaded CI machine): it only catches a cache that does not work at all.
        #expect(ContinuousClock.now - started < .seconds(2))
    }
}
