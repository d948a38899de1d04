import Foundation
import KeelBase
import KeelModules
import Testing

/// sysctl, hostname and timezone on lab hosts: net.* keys and the host name live in the host's own
/// network and UTS namespaces, so they are really set, and checked through the lab, not through Keel.
@Suite("sysctl, hostname and timezone modules on lab hosts", .serialized) struct SystemSettingsTests {
    func host() async throws -> SystemLabHost { try await SystemLabHost.make("sysset") }

    @Test func sysctlPersistsAndAppliesAPerNamespaceKey() async throws {
        let host = try await host()
        try host.inspect("rm -f /etc/sysctl.d/60-keel.conf; sysctl -qw net.ipv4.ip_forward=0")
        let fingerprint = "cat /etc/sysctl.d/60-keel.conf 2>/dev/null; sysctl -n net.ipv4.ip_forward"
        let args: [String: Value] = ["name": "net.ipv4.ip_forward", "value": "1", "sysctl_file": "/etc/sysctl.d/60-keel.conf", "sysctl_set": true]
        let result = try await host.converges(SysctlModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }), fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "net.ipv4.ip_forward=1\n1\n")
        #expect(result.diffs.first?.after == "net.ipv4.ip_forward=1\n")
        // Live drift alone is corrected with sysctl_set.
        try host.inspect("sysctl -qw net.ipv4.ip_forward=0")
        let drift = try await host.converges(SysctlModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }), fingerprint: fingerprint)
        #expect(drift.diffs.map(\.label) == ["net.ipv4.ip_forward (live)"])
        #expect(try host.inspect("sysctl -n net.ipv4.ip_forward") == "1\n")
    }

    @Test func sysctlReplacesAnExistingLineAndRemovesIt() async throws {
        let host = try await host()
        try host.inspect("printf '# tuning\\nnet.ipv4.tcp_syncookies = 0\\nnet.core.somaxconn=512\\n' > /etc/sysctl.d/61-keel.conf")
        let fingerprint = "cat /etc/sysctl.d/61-keel.conf; sysctl -n net.ipv4.tcp_syncookies"
        try await host.converges(SysctlModule.self, ["name": "net.ipv4.tcp_syncookies", "value": "yes", "sysctl_file": "/etc/sysctl.d/61-keel.conf"],
                                 fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "# tuning\nnet.ipv4.tcp_syncookies=1\nnet.core.somaxconn=512\n1\n")
        try await host.converges(SysctlModule.self, ["name": "net.core.somaxconn", "state": "absent", "sysctl_file": "/etc/sysctl.d/61-keel.conf"],
                                 fingerprint: fingerprint)
        #expect(try host.inspect("cat /etc/sysctl.d/61-keel.conf") == "# tuning\nnet.ipv4.tcp_syncookies=1\n")
    }

    @Test func sysctlRejectsAnUnknownKey() async throws {
        let host = try await host()
        await #expect { try await host.run(SysctlModule.self, ["name": "net.ipv4.keel_nonexistent", "value": "1", "sysctl_file": "/etc/sysctl.d/62-keel.conf"]) } throws: { error in
            "\(error)".contains("unknown key net.ipv4.keel_nonexistent")
        }
    }

    @Test func hostnameSetsTheRunningAndPersistedNameWithoutSystemd() async throws {
        let host = try await host()
        try host.inspect("hostname t-sysset-1; echo t-sysset-1 > /etc/hostname")
        let fingerprint = "hostname; cat /etc/hostname"
        let result = try await host.converges(HostnameModule.self, ["name": "keel-renamed.example.test"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "keel-renamed.example.test\nkeel-renamed.example.test\n")
        #expect(result.diffs.first?.after.contains("hostname: keel-renamed.example.test") == true)
    }

    @Test func hostnameUsesHostnamectlOnSystemd() async throws {
        let host = try await SystemLabHost.make("sysd", flavor: .systemd)
        try host.inspect("hostnamectl set-hostname t-sysd-1")
        let fingerprint = "hostname; cat /etc/hostname"
        try await host.converges(HostnameModule.self, ["name": "keel-sd-renamed"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "keel-sd-renamed\nkeel-sd-renamed\n")
    }

    @Test func timezoneRelinksLocaltimeAndWritesTheZoneFile() async throws {
        let host = try await host()
        try host.inspect("ln -sfn /usr/share/zoneinfo/Etc/UTC /etc/localtime; echo Etc/UTC > /etc/timezone")
        let fingerprint = "readlink /etc/localtime; cat /etc/timezone"
        try await host.converges(TimezoneModule.self, ["name": "Europe/Berlin"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "/usr/share/zoneinfo/Europe/Berlin\nEurope/Berlin\n")
        await #expect { try await host.run(TimezoneModule.self, ["name": "Mars/Olympus"]) } throws: { error in "\(error)".contains("unknown zone Mars/Olympus") }
    }

    @Test func timezoneUsesTimedatectlOnSystemd() async throws {
        let host = try await SystemLabHost.make("sysd", flavor: .systemd)
        try host.inspect("timedatectl set-timezone Etc/UTC; echo Etc/UTC > /etc/timezone")
        let fingerprint = "readlink /etc/localtime; cat /etc/timezone 2>/dev/null; true"
        try await host.converges(TimezoneModule.self, ["name": "America/New_York"], fingerprint: fingerprint)
        #expect(try host.inspect("readlink /etc/localtime").hasSuffix("zoneinfo/America/New_York\n"))
    }
}

@Suite("locale_gen module on a lab host", .serialized) struct LocaleGenModuleTests {
    @Test func aLocaleIsGeneratedOnceThenRemoved() async throws {
        let host = try await SystemLabHost.make("locale")
        try host.inspect("sed -i 's/^de_DE.UTF-8 UTF-8/# de_DE.UTF-8 UTF-8/' /etc/locale.gen; locale -a | grep -qx de_DE.utf8 && locale-gen >/dev/null; true")
        let fingerprint = "locale -a | grep -x de_DE.utf8 || true; grep -x 'de_DE.UTF-8 UTF-8' /etc/locale.gen || true"
        try await host.converges(LocaleGenModule.self, ["name": "de_DE.UTF-8"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "de_DE.utf8\nde_DE.UTF-8 UTF-8\n")
        try await host.converges(LocaleGenModule.self, ["name": "de_DE.UTF-8", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
        await #expect { try await host.run(LocaleGenModule.self, ["name": "xx_YY.UTF-8"]) } throws: { error in "\(error)".contains("not a supported locale") }
    }
}
