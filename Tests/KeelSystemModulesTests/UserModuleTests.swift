import Foundation
import KeelBase
import KeelModules
import Testing

/// user, group and authorized_key on a light lab host (its own /etc/passwd, /etc/group and /etc/shadow
/// in the overlay), inspected with getent through the lab, not through Keel.
@Suite("user, group and authorized_key modules on a lab host", .serialized) struct UserModuleTests {
    /// The host, with the accounts and groups these tests create removed (hosts outlive test runs).
    func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("users")
        try host.inspect("""
            rm -rf /srv/kubob; for u in kualice kubob kucarol kudave kusys kueve kukeys kuexcl; do userdel -r -f $u >/dev/null 2>&1; done
            for g in kgops kgsys kuadm kudev kuprim kbx kby kualice kubob kucarol kudave kusys kukeys kuexcl; do groupdel $g >/dev/null 2>&1; done
            true
            """)
        return host
    }

    static func account(_ name: String) -> String {
        "getent passwd \(name) || true; getent shadow \(name) | cut -d: -f2 || true; id -Gn \(name) 2>/dev/null || true; ls -ld /home/\(name) 2>/dev/null | cut -d' ' -f1,3,4 || true"
    }

    @Test func aGroupIsCreatedWithItsGidThenChangedThenRemoved() async throws {
        let host = try await host()
        let fingerprint = "getent group kgops || true"
        try await host.converges(GroupModule.self, ["name": "kgops", "gid": 2301], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "kgops:x:2301:\n")
        let changed = try await host.converges(GroupModule.self, ["name": "kgops", "gid": 2302], fingerprint: fingerprint)
        #expect(changed.diffs.first?.before.contains("gid: 2301") == true)
        #expect(changed.diffs.first?.after.contains("gid: 2302") == true)
        try await host.converges(GroupModule.self, ["name": "kgops", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
    }

    @Test func aSystemGroupGetsASystemGid() async throws {
        let host = try await host()
        try await host.converges(GroupModule.self, ["name": "kgsys", "system": true], fingerprint: "getent group kgsys || true")
        let gid = Int(try host.inspect("getent group kgsys | cut -d: -f3").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(gid > 0 && gid < 1000)
    }

    @Test func aUserIsCreatedWithEveryPropertyOnce() async throws {
        let host = try await host()
        try host.inspect("groupadd -f kuadm; groupadd -f kudev; groupadd -g 2310 -f kuprim")
        let hash = "$6$saltsalt$abcdefghijklmnopqrstuv"
        let args: [String: Value] = ["name": "kualice", "uid": 2310, "group": "kuprim", "groups": ["kuadm", "kudev"], "shell": "/bin/sh",
                                     "comment": "Alice Keel", "password": .string(hash)]
        let result = try await host.converges(UserModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }),
                                              fingerprint: Self.account("kualice"))
        #expect(try host.inspect("getent passwd kualice") == "kualice:x:2310:2310:Alice Keel:/home/kualice:/bin/sh\n")
        #expect(try host.inspect("getent shadow kualice | cut -d: -f2") == hash + "\n")
        #expect(try host.inspect("id -Gn kualice") == "kuprim kuadm kudev\n")
        #expect(try host.inspect("stat -c '%U %G' /home/kualice") == "kualice kuprim\n")
        #expect(result.diffs.first?.after.contains("password: (changed)") == true)
        #expect(result.diffs.allSatisfy { !$0.before.contains(hash) && !$0.after.contains(hash) }, "the hash never appears in a diff")
        #expect(result.values["uid"] == 2310)
    }

    @Test func changesTouchOnlyWhatDiffers() async throws {
        let host = try await host()
        try host.inspect("groupadd -f kbx; groupadd -f kby; useradd -m -s /bin/sh -G kbx kubob")
        let result = try await host.converges(UserModule.self, ["name": "kubob", "shell": "/bin/bash", "comment": "Bob"], fingerprint: Self.account("kubob"))
        #expect(result.diffs.first?.before.contains("shell: /bin/sh\n") == true)
        #expect(result.diffs.first?.after.contains("shell: /bin/bash\n") == true)
        #expect(try host.inspect("getent passwd kubob | cut -d: -f5,7") == "Bob:/bin/bash\n")
        // append adds, without append the list is exact.
        try await host.converges(UserModule.self, ["name": "kubob", "groups": ["kby"], "append": true], fingerprint: Self.account("kubob"))
        #expect(try host.inspect("id -Gn kubob") == "kubob kbx kby\n")
        try await host.converges(UserModule.self, ["name": "kubob", "groups": ["kby"]], fingerprint: Self.account("kubob"))
        #expect(try host.inspect("id -Gn kubob") == "kubob kby\n")
        try await host.converges(UserModule.self, ["name": "kubob", "groups": ""], fingerprint: Self.account("kubob"))
        #expect(try host.inspect("id -Gn kubob") == "kubob\n")
    }

    @Test func passwordOnCreateIsNotUpdatedAndAlwaysIs() async throws {
        let host = try await host()
        try host.inspect("useradd -M -p '$6$old$old' kucarol")
        let new = "$6$new$newhash"
        #expect(try await host.run(UserModule.self, ["name": "kucarol", "password": .string(new), "update_password": "on_create", "create_home": false]).changed == false)
        try await host.converges(UserModule.self, ["name": "kucarol", "password": .string(new), "create_home": false], fingerprint: Self.account("kucarol"))
        #expect(try host.inspect("getent shadow kucarol | cut -d: -f2") == new + "\n")
        try await host.converges(UserModule.self, ["name": "kucarol", "password_lock": true, "create_home": false], fingerprint: Self.account("kucarol"))
        #expect(try host.inspect("getent shadow kucarol | cut -d: -f2") == "!" + new + "\n")
    }

    @Test func absentWithRemoveDeletesTheHome() async throws {
        let host = try await host()
        try host.inspect("useradd -m kudave")
        try await host.converges(UserModule.self, ["name": "kudave", "state": "absent", "remove": true], fingerprint: Self.account("kudave"))
        #expect(try host.inspect("getent passwd kudave || echo gone; [ -d /home/kudave ] && echo home || echo nohome") == "gone\nnohome\n")
    }

    @Test func aSystemUserWithoutHome() async throws {
        let host = try await host()
        try await host.converges(UserModule.self, ["name": "kusys", "system": true, "create_home": false, "shell": "/usr/sbin/nologin"],
                                 fingerprint: Self.account("kusys"))
        let uid = Int(try host.inspect("id -u kusys").trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
        #expect(uid > 0 && uid < 1000)
        #expect(try host.inspect("[ -d /home/kusys ] && echo home || echo nohome") == "nohome\n")
    }

    @Test func aMissingGroupFailsClearlyOnlyWhenApplied() async throws {
        let host = try await host()
        #expect(try await host.run(UserModule.self, ["name": "kueve", "group": "no-such-group-k"], .check).changed)
        await #expect { try await host.run(UserModule.self, ["name": "kueve", "group": "no-such-group-k"]) } throws: { error in
            "\(error)".contains("Group no-such-group-k does not exist")
        }
        #expect(try host.inspect("getent passwd kueve || echo none") == "none\n")
    }

    static let keyA = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeelKeyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA alice@laptop"
    static let keyB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKeelKeyBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB ci@build"
    static let keyC = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCkeelCCCC old@box"

    @Test func authorizedKeysAreWrittenWithTheRightOwnerAndMode() async throws {
        let host = try await host()
        try host.inspect("useradd -m kukeys")
        let fingerprint = "cat /home/kukeys/.ssh/authorized_keys 2>/dev/null; stat -c '%a %U %G' /home/kukeys/.ssh /home/kukeys/.ssh/authorized_keys 2>/dev/null || true"
        let result = try await host.converges(AuthorizedKeyModule.self, ["user": "kukeys", "key": .string(Self.keyA + "\n" + Self.keyB + "\n")],
                                              fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == Self.keyA + "\n" + Self.keyB + "\n700 kukeys kukeys\n600 kukeys kukeys\n")
        #expect(result.diffs.first?.before == "")
        // Options are set on the existing line, not added twice.
        try await host.converges(AuthorizedKeyModule.self, ["user": "kukeys", "key": .string(Self.keyA), "key_options": "no-pty,from=\"10.0.0.1\""],
                                 fingerprint: fingerprint)
        #expect(try host.inspect("cat /home/kukeys/.ssh/authorized_keys") == "no-pty,from=\"10.0.0.1\" " + Self.keyA + "\n" + Self.keyB + "\n")
        try await host.converges(AuthorizedKeyModule.self, ["user": "kukeys", "key": .string(Self.keyB), "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect("cat /home/kukeys/.ssh/authorized_keys") == "no-pty,from=\"10.0.0.1\" " + Self.keyA + "\n")
    }

    @Test func exclusiveKeepsOnlyTheGivenKeysAndComments() async throws {
        let host = try await host()
        try host.inspect("""
            useradd -m kuexcl; mkdir -p /home/kuexcl/.ssh
            printf '# managed by hand\\n%s\\n%s\\n' '\(Self.keyA)' '\(Self.keyC)' > /home/kuexcl/.ssh/authorized_keys
            chmod 640 /home/kuexcl/.ssh/authorized_keys
            """)
        try await host.converges(AuthorizedKeyModule.self, ["user": "kuexcl", "key": .string(Self.keyB), "exclusive": true],
                                 fingerprint: "cat /home/kuexcl/.ssh/authorized_keys")
        #expect(try host.inspect("cat /home/kuexcl/.ssh/authorized_keys; stat -c %a /home/kuexcl/.ssh/authorized_keys") == "# managed by hand\n" + Self.keyB + "\n640\n")
    }

    @Test func manageDirRepairsTheDirectoryMode() async throws {
        let host = try await host()
        try host.inspect("useradd -m kukeys; mkdir -p /home/kukeys/.ssh; chmod 755 /home/kukeys/.ssh; printf '%s\\n' '\(Self.keyA)' > /home/kukeys/.ssh/authorized_keys")
        try await host.converges(AuthorizedKeyModule.self, ["user": "kukeys", "key": .string(Self.keyA)], fingerprint: "stat -c '%a %U' /home/kukeys/.ssh")
        #expect(try host.inspect("stat -c '%a %U' /home/kukeys/.ssh") == "700 kukeys\n")
        #expect(try await host.run(AuthorizedKeyModule.self, ["user": "kukeys", "key": .string(Self.keyA), "manage_dir": false]).changed == false)
    }

    @Test func uidAndHomeChangeWithMoveHome() async throws {
        let host = try await host()
        try host.inspect("useradd -m -u 2320 kubob; echo hi > /home/kubob/note; chown kubob /home/kubob/note; rm -rf /srv/kubob")
        try await host.converges(UserModule.self, ["name": "kubob", "uid": 2321, "home": "/srv/kubob", "move_home": true],
                                 fingerprint: "getent passwd kubob; ls -n /srv/kubob 2>/dev/null | tail -n +2 | awk '{print $3, $9}'")
        #expect(try host.inspect("getent passwd kubob | cut -d: -f3,6; cat /srv/kubob/note; stat -c %u /srv/kubob/note; [ -d /home/kubob ] && echo old || echo moved") == "2321:/srv/kubob\nhi\n2321\nmoved\n")
    }

    @Test func notAKeyFailsClearly() async throws {
        let host = try await host()
        await #expect { try await host.run(AuthorizedKeyModule.self, ["user": "root", "key": "hello world"]) } throws: { error in
            "\(error)".contains("not a public key")
        }
    }
}
