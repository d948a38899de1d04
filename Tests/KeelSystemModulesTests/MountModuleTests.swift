import Foundation
import KeelBase
import KeelModules
import Testing

/// mount on a light host: its mount namespace is private, so tmpfs mounts are real and harmless.
@Suite("mount module on a lab host", .serialized) struct MountModuleTests {
    static let fingerprint = "grep ' /srv/keel-scratch ' /etc/fstab || true; awk '$2 == \"/srv/keel-scratch\" { print $1, $3 }' /proc/self/mounts; [ -d /srv/keel-scratch ] && echo dir || echo nodir"

    func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("mount")
        try host.inspect("umount /srv/keel-scratch 2>/dev/null; umount /srv/keel-scratch 2>/dev/null; rmdir /srv/keel-scratch 2>/dev/null; sed -i '\\| /srv/keel-scratch |d' /etc/fstab 2>/dev/null; true")
        return host
    }

    @Test func mountedWritesTheEntryAndMountsOnce() async throws {
        let host = try await host()
        let args: [String: Value] = ["path": "/srv/keel-scratch", "src": "tmpfs", "fstype": "tmpfs", "opts": "size=16m,mode=1777", "state": "mounted"]
        let result = try await host.converges(MountModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }), fingerprint: Self.fingerprint)
        #expect(try host.inspect(Self.fingerprint) == "tmpfs /srv/keel-scratch tmpfs size=16m,mode=1777 0 0\ntmpfs tmpfs\ndir\n")
        #expect(result.diffs.map(\.label) == ["/etc/fstab", "/srv/keel-scratch (mount)"])
        #expect(try host.inspect("stat -c %a /srv/keel-scratch") == "1777\n")
        // New options: the entry changes and the live mount is remounted with them.
        try await host.converges(MountModule.self, ["path": "/srv/keel-scratch", "src": "tmpfs", "fstype": "tmpfs", "opts": "size=32m,mode=1777", "state": "mounted"],
                                 fingerprint: "grep ' /srv/keel-scratch ' /etc/fstab; df -k /srv/keel-scratch | tail -n 1 | awk '{print $2}'")
        #expect(try host.inspect("df -k /srv/keel-scratch | tail -n 1 | awk '{print $2}'") == "32768\n")
    }

    @Test func unmountedKeepsTheEntryAndAbsentRemovesEverything() async throws {
        let host = try await host()
        _ = try await host.run(MountModule.self, ["path": "/srv/keel-scratch", "src": "tmpfs", "fstype": "tmpfs", "state": "mounted"])
        try await host.converges(MountModule.self, ["path": "/srv/keel-scratch", "state": "unmounted"], fingerprint: Self.fingerprint)
        #expect(try host.inspect(Self.fingerprint) == "tmpfs /srv/keel-scratch tmpfs defaults 0 0\ndir\n")
        try await host.converges(MountModule.self, ["path": "/srv/keel-scratch", "state": "absent"], fingerprint: Self.fingerprint)
        #expect(try host.inspect(Self.fingerprint) == "nodir\n")
    }

    @Test func presentOnlyWritesTheEntry() async throws {
        let host = try await host()
        try await host.converges(MountModule.self, ["path": "/srv/keel-scratch", "src": "tmpfs", "fstype": "tmpfs", "state": "present", "boot": false],
                                 fingerprint: Self.fingerprint)
        #expect(try host.inspect(Self.fingerprint) == "tmpfs /srv/keel-scratch tmpfs defaults,noauto 0 0\nnodir\n")
    }
}
