import Foundation
import KeelBase
import KeelVault
import OrderedCollections
import Testing
@testable import KeelModules

/// assemble on a real host: fragments on the host (the default) and on the controller (one of them
/// vault-encrypted), the selecting options, attributes, validate and backup. Every converging case goes
/// through expectConverges: check mode predicts the change and its diff without touching the host, the
/// real run makes it, a second run and a second check find nothing to do.
@Suite("assemble module on a lab host") struct FilesLabAssembleTests {
    /// Fragments on the host in root/frags: out of order on purpose, one without a final newline, a
    /// hidden one, a link to a file (a fragment), a directory and a link to it (not fragments).
    func hostFragments(_ host: LabModuleHost) throws -> String {
        let frags = host.root + "/frags"
        try host.sh("""
            mkdir \(frags) \(frags)/40-dir && cd \(frags) && printf 'c\\n' > 30-c.conf && printf 'a\\n' > 10-a.conf && printf 'b' > 20-b.conf \
            && printf 'hidden\\n' > .00-hidden.conf && printf 'notes\\n' > 25-notes.txt && ln -s 10-a.conf 50-link.conf && ln -s 40-dir 60-dirlink
            """)
        return frags
    }

    @Test func fragmentsOnTheHostAreJoinedInNameOrder() async throws {
        let host = try await LabModuleHost.make()
        let frags = try hostFragments(host)
        let dest = host.root + "/assembled"
        let result = try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest)])
        let expected = "hidden\na\nb\nnotes\nc\na\n"
        #expect(try host.read(dest) == expected)
        #expect(result.diffs == [Diff(label: dest, before: "", after: expected)])
        #expect(result.values["size"] == .int(expected.utf8.count))
        // A new fragment is picked up; the diff shows the whole before and after.
        try host.sh("printf 'z\\n' > \(frags)/99-z.conf")
        let update = try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest)])
        #expect(update.diffs == [Diff(label: dest, before: expected, after: expected + "z\n")])
    }

    @Test func delimiterRegexpAndIgnoreHiddenOnTheHost() async throws {
        let host = try await LabModuleHost.make()
        let frags = try hostFragments(host)
        let dest = host.root + "/assembled"
        try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "delimiter": "# --",
                                                             "regexp": #"\.conf$"#, "ignore_hidden": true])
        #expect(try host.read(dest) == "a\n# --\nb\n# --\nc\n# --\na\n")
        // The hidden fragment counts again, and a delimiter ending in an escaped newline gets no second one.
        try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "delimiter": #"### \n"#,
                                                             "regexp": "^[.1]"])
        #expect(try host.read(dest) == "hidden\n### \na\n")
    }

    @Test func attributesValidateAndBackup() async throws {
        let host = try await LabModuleHost.make()
        let frags = try hostFragments(host)
        let dest = host.root + "/assembled"
        try host.sh("printf 'old\\n' > \(dest) && chmod 0640 \(dest)")
        await #expect { try await host.run(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "validate": "! grep -q hidden %s"]) } throws: { error in
            "\(error)".contains("validation failed")
        }
        #expect(try host.read(dest) == "old\n", "a failed validate leaves dest alone")
        await #expect { try await host.run(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "validate": "true"]) } throws: { error in
            "\(error)".contains("validate must contain %s")
        }
        let result = try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "ignore_hidden": true,
                                                                          "validate": "grep -q notes %s", "backup": true])
        let backup = try #require(result.values["backup_file"]?.stringValue)
        #expect(try host.read(backup) == "old\n")
        #expect(try host.sh("stat -c %a \(dest)") == "640\n", "the old file's mode is kept")
        // Same content, other mode and group: only the attributes change.
        let attributes = try await host.expectConverges(AssembleModule.self, ["src": .string(frags), "dest": .string(dest), "ignore_hidden": true,
                                                                              "mode": "0600", "group": "daemon"])
        #expect(try host.sh("stat -c '%a %G' \(dest)") == "600 daemon\n")
        #expect(attributes.diffs.map(\.after) == ["mode: 0600\ngroup: daemon\n"])
    }

    @Test func aMissingOrNonDirectorySrcFails() async throws {
        let host = try await LabModuleHost.make()
        try host.sh("touch \(host.root)/plain")
        await #expect { try await host.run(AssembleModule.self, ["src": .string(host.root + "/none"), "dest": .string(host.root + "/out")]) } throws: { error in
            "\(error)".contains("does not exist")
        }
        await #expect { try await host.run(AssembleModule.self, ["src": .string(host.root + "/plain"), "dest": .string(host.root + "/out")]) } throws: { error in
            "\(error)".contains("not a directory")
        }
        await #expect { try await host.run(AssembleModule.self, ["src": .string(host.root), "dest": .string(host.root + "/out"), "regexp": "(unclosed"]) } throws: { error in
            "\(error)".contains("regexp")
        }
        #expect(try host.sh("ls \(host.root)") == "plain\n")
    }

    @Test func controllerFragmentsWithAVaultEncryptedOne() async throws {
        var host = try await LabModuleHost.make()
        let password = "assemble-\(UUID().uuidString)"
        TestVaultPasswords.add(password)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keel-assemble-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let frags = dir + "/files/conf.d"
        try FileManager.default.createDirectory(atPath: frags, withIntermediateDirectories: true)
        try "[main]\n".write(toFile: frags + "/00-head", atomically: true, encoding: .utf8)
        let vaulted = try VaultCipher.encrypt(Array("password = hunter2\n".utf8), password: Array(password.utf8)).text
        try vaulted.write(toFile: frags + "/10-secret", atomically: true, encoding: .utf8)
        try "tail = yes\n".write(toFile: frags + "/20-tail", atomically: true, encoding: .utf8)
        host.context.files = ControllerFiles(searchPaths: [dir])
        let dest = host.root + "/app.ini"
        try await host.expectConverges(AssembleModule.self, ["src": "conf.d", "remote_src": false, "dest": .string(dest), "mode": "0600"])
        #expect(try host.read(dest) == "[main]\npassword = hunter2\ntail = yes\n")
        #expect(try host.sh("stat -c %a \(dest)") == "600\n")
        // decrypt: false sends the vaulted fragment as stored.
        try await host.expectConverges(AssembleModule.self, ["src": "conf.d", "remote_src": false, "decrypt": false, "dest": .string(dest)])
        let stored = try #require(try host.read(dest))
        #expect(stored.hasPrefix("[main]\n$ANSIBLE_VAULT;1.1;AES256\n") && !stored.contains("hunter2"))
        await #expect { try await host.run(AssembleModule.self, ["src": "absent.d", "remote_src": false, "dest": .string(dest)]) } throws: { error in
            "\(error)".contains("could not find src 'absent.d'") && "\(error)".contains(dir + "/files")
        }
    }
}

/// The vault passwords tests add to the process-wide keyring: appended (never replacing another test's)
/// under one lock, each test with a password of its own.
enum TestVaultPasswords {
    private static let lock = NSLock()

    static func add(_ password: String) {
        lock.withLock {
            let identity = VaultIdentity(label: "default", password: password, source: "test")
            if !VaultKeyring.shared.identities.contains(identity) { VaultKeyring.shared.identities.append(identity) }
        }
    }
}
