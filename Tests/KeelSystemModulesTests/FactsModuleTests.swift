import Foundation
import KeelBase
@testable import KeelModules
import OrderedCollections
import Testing

/// service_facts and package_facts on lab hosts, compared field by field with what Ansible's modules
/// report on the same host.
@Suite("service_facts and package_facts on lab hosts", .serialized) struct FactsModuleTests {
    /// name -> [field: text] of a services or packages dict, order-free, for comparing with Ansible.
    static func table(_ value: Value?) -> [String: [String: String]] {
        var table: [String: [String: String]] = [:]
        for (name, entry) in value?.dictValue ?? [:] {
            var fields: [String: String] = [:]
            for (key, field) in entry.dictValue ?? [:] { fields[key] = field.stringValue ?? field.jsonString() }
            table[name] = fields
        }
        return table
    }

    @Test func serviceFactsListSystemdUnitsAsAnsibleDoes() async throws {
        let host = try await SystemLabHost.make("factsd", flavor: .systemd)
        // Boot finished first: units still starting (podman-restart, timers' first runs) change state between reads.
        try host.inspect("systemctl is-system-running --wait >/dev/null 2>&1; systemctl start ssh.service; systemctl mask systemd-timesyncd.service >/dev/null 2>&1; true")
        let result = try await host.run(ServiceFactsModule.self, [:])
        #expect(!result.changed && !result.failed)
        let services = Self.table(result.values["ansible_facts"]?["services"])
        #expect(services["ssh.service"] == ["name": "ssh.service", "state": "running", "status": "enabled", "source": "systemd"])
        #expect(services["systemd-journald.service"]?["state"] == "running")
        let ansible = try AnsibleLabOracle.run("service_facts", on: host)
        #expect(!ansible.failed, "\(ansible.result)")
        let expected = Self.table(ansible.result["ansible_facts"]?["services"])
        #expect(!expected.isEmpty)
        // A unit may change state while Ansible reads (podman.service is socket-activated and exits when idle):
        // Ansible must then match Keel's read before or the one after its own.
        let after = Self.table(try await host.run(ServiceFactsModule.self, [:]).values["ansible_facts"]?["services"])
        for name in Set(expected.keys).union(services.keys).sorted()
        where expected[name] != services[name] && expected[name] != after[name] {
            Issue.record("\(name): Keel \(services[name] ?? [:]) then \(after[name] ?? [:]), Ansible \(expected[name] ?? [:])")
        }
        // Check mode reads the same: compared with a read right after it, as a unit may change state in the
        // time the Ansible run above took.
        let inCheckMode = try await host.run(ServiceFactsModule.self, [:], .check).values
        let readAgain = try await host.run(ServiceFactsModule.self, [:]).values
        #expect(inCheckMode == readAgain)
    }

    @Test func serviceFactsListSysvScriptsWithoutSystemd() async throws {
        let host = try await SystemLabHost.make("facts")
        try host.inspect("""
            cat > /etc/init.d/keel-facts <<'X'
            #!/bin/sh
            case "$1" in status) [ -e /run/keel-facts ] && echo running && exit 0; echo stopped; exit 3;; esac
            X
            chmod +x /etc/init.d/keel-facts; touch /run/keel-facts
            """)
        let result = try await host.run(ServiceFactsModule.self, [:])
        let services = Self.table(result.values["ansible_facts"]?["services"])
        #expect(services["keel-facts"] == ["name": "keel-facts", "state": "running", "source": "sysv"])
        let ansible = try AnsibleLabOracle.run("service_facts", on: host)
        #expect(Self.table(ansible.result["ansible_facts"]?["services"]) == services)
    }

    @Test func serviceListingParsesBadStatesAndUnloadedUnitFiles() {
        let listing = ServiceListing.parse("""
            @@sysv
             [ + ]  cron
             [ ? ]  hwclock.sh
             [ - ]  rsync
            @@units
            cron.service loaded active running Regular background program processing daemon
            foo.service not-found inactive dead foo.service
            bar.service loaded failed failed Bar
              LOAD   = Reflects whether the unit definition was properly loaded.
            @@unitfiles
            UNIT FILE STATE PRESET
            cron.service enabled enabled
            bar.service enabled enabled
            getty@.service enabled enabled
            old.service disabled enabled
            @@show getty@.service inactive
            @@show old.service
            """)
        #expect(listing.services["cron"] == ["name": "cron", "state": "running", "source": "sysv"])
        #expect(listing.services["hwclock.sh"] == nil)
        #expect(listing.services["rsync"]?["state"] == "stopped")
        #expect(listing.services["cron.service"] == ["name": "cron.service", "state": "running", "status": "enabled", "source": "systemd"])
        #expect(listing.services["foo.service"]?["status"] == "not-found")
        #expect(listing.services["bar.service"]?["status"] == "failed")
        #expect(listing.services["getty@.service"] == ["name": "getty@.service", "state": "inactive", "status": "enabled", "source": "systemd"])
        #expect(listing.services["old.service"]?["state"] == "unknown")
    }

    @Test func packageFactsMatchAnsibleOnADebianHost() async throws {
        let host = try await SystemLabHost.make("facts")
        let result = try await host.run(PackageFactsModule.self, [:])
        #expect(!result.changed && !result.failed)
        guard case .list(let bash)? = result.values["ansible_facts"]?["packages"]?["bash"], let first = bash.first else {
            Issue.record("no bash in \(result.values.keys)"); return
        }
        #expect(first["source"] == "apt")
        #expect(try first["version"]?.stringValue == host.inspect("dpkg-query -W -f '${Version}' bash"))
        let ansible = try AnsibleLabOracle.run("package_facts", on: host)
        #expect(!ansible.failed, "\(ansible.result)")
        func flat(_ value: Value?) -> [String: [String: String]] {
            var out: [String: [String: String]] = [:]
            for (name, list) in value?.dictValue ?? [:] {
                guard case .list(let versions) = list else { continue }
                for (index, entry) in versions.enumerated() {
                    out["\(name)#\(index)"] = (entry.dictValue ?? [:]).reduce(into: [:]) { $0[$1.key] = $1.value.stringValue ?? $1.value.jsonString() }
                }
            }
            return out
        }
        let mine = flat(result.values["ansible_facts"]?["packages"]), theirs = flat(ansible.result["ansible_facts"]?["packages"])
        #expect(mine.count == theirs.count)
        var mismatches = 0
        for name in Set(mine.keys).union(theirs.keys).sorted() where mine[name] != theirs[name] {
            mismatches += 1
            if mismatches <= 10 { Issue.record("\(name): Keel \(mine[name] ?? [:]), Ansible \(theirs[name] ?? [:])") }
        }
    }

    @Test func packageFactsReadRpmAndRefuseUnknownManagers() async throws {
        let host = try await SystemLabHost.make("facts")
        // This Debian host has the rpm tool but an empty rpm database: strategy all still finds apt's packages.
        let all = try await host.run(PackageFactsModule.self, ["manager": ["rpm", "apt"], "strategy": "all"])
        #expect(all.values["ansible_facts"]?["packages"]?["bash"] != nil)
        await #expect { try await host.run(PackageFactsModule.self, ["manager": ["rpm"]]) } throws: { "\($0)".contains("Could not detect a supported package manager") }
        await #expect { try await host.run(PackageFactsModule.self, ["manager": ["chocolatey"]]) } throws: { "\($0)".contains("Unsupported package managers requested: chocolatey") }
        let rpm = PackageListing.rpmPackages(["kernel\t6.1\t1.el9\t(none)\tx86_64", "kernel\t6.2\t1.el9\t(none)\tx86_64", "bash\t5.1\t2\t1\tx86_64"])
        #expect(rpm["kernel"]?.count == 2)
        #expect(rpm["bash"]?.first == ["name": "bash", "version": "5.1", "release": "2", "epoch": "1", "arch": "x86_64", "source": "rpm"])
        #expect(rpm["kernel"]?.first?["epoch"] == .null)
    }
}
