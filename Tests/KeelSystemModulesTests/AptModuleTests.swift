import Foundation
import KeelBase
import KeelModules
import Testing

/// apt and apt_repository without internet: the test builds tiny .deb packages on a light lab host,
/// indexes them with dpkg-scanpackages, and points the host (whose other sources are moved away) at
/// `deb [trusted=yes] file:/srv/keel-debs ./`. Package names start with keel-test- so they cannot
/// collide with the machine's own dpkg state underneath the overlay.
@Suite("apt and apt_repository modules on a lab host", .serialized) struct AptModuleTests {
    static let repo = "/srv/keel-debs"
    static let repoLine = "deb [trusted=yes] file:/srv/keel-debs ./"

    /// A host with only the local repository configured and indexed (idempotent).
    func host(prefix: String = "apt") async throws -> SystemLabHost {
        let host = try await SystemLabHost.make(prefix)
        try host.inspect("""
            set -e
            if [ ! -d /root/keel-apt-sources ]; then
              mkdir -p /root/keel-apt-sources
              mv /etc/apt/sources.list.d/* /root/keel-apt-sources/ 2>/dev/null || true
              [ -f /etc/apt/sources.list ] && mv /etc/apt/sources.list /root/keel-apt-sources/ || true
            fi
            mkdir -p \(Self.repo)
            # Start clean: hosts outlive test runs.
            dpkg --purge keel-test-alpha keel-test-beta keel-test-gamma >/dev/null 2>&1 || true
            rm -f /etc/apt/sources.list.d/keel-local.list /etc/apt/sources.list.d/file_srv_keel_debs.list \(Self.repo)/keel-test-alpha_2.0_all.deb
            rm -rf /tmp/keel-deb
            """)
        // Built once: a rebuilt .deb has new hashes, which the package lists would not know yet.
        for (name, version, depends) in [("keel-test-alpha", "1.0", ""), ("keel-test-beta", "1.0", "keel-test-alpha")]
        where try host.inspect("[ -f \(Self.repo)/\(name)_\(version)_all.deb ] && echo built || true") != "built\n" {
            try build(host, name, version, depends: depends)
        }
        try index(host)
        return host
    }

    func build(_ host: SystemLabHost, _ name: String, _ version: String, depends: String = "", into dir: String = repo,
               postinst: String? = nil) throws {
        try host.inspect("""
            set -e
            b=$(mktemp -d)
            mkdir -p "$b/DEBIAN" "$b/usr/share/\(name)"
            \(postinst.map { "printf '#!/bin/sh\\n%s\\n' '\($0)' > \"$b/DEBIAN/postinst\"; chmod 0755 \"$b/DEBIAN/postinst\"" } ?? ":")
            echo '\(version)' > "$b/usr/share/\(name)/version"
            printf 'Package: %s\\nVersion: %s\\nArchitecture: all\\nMaintainer: Keel tests <keel@example.invalid>\\nDescription: Keel test package\\n' '\(name)' '\(version)' > "$b/DEBIAN/control"
            [ -z '\(depends)' ] || echo 'Depends: \(depends)' >> "$b/DEBIAN/control"
            dpkg-deb --root-owner-group --build "$b" '\(dir)/\(name)_\(version)_all.deb' >/dev/null
            rm -rf "$b"
            """)
    }

    func index(_ host: SystemLabHost) throws {
        try host.inspect("cd \(Self.repo) && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null > Packages")
    }

    static let packages = "dpkg-query -W -f='${Package} ${db:Status-Status} ${Version}\\n' keel-test-alpha keel-test-beta keel-test-gamma 2>/dev/null; true"

    /// The repository is configured once per host; later tests reuse it.
    func configureRepository(_ host: SystemLabHost) async throws {
        _ = try await host.run(AptRepositoryModule.self, ["repo": .string(Self.repoLine), "filename": "keel-local"])
    }

    @Test func aLocalRepositoryIsAddedOnceAndItsPackagesBecomeAvailable() async throws {
        let host = try await host()
        let fingerprint = "cat /etc/apt/sources.list.d/*.list 2>/dev/null; apt-cache policy keel-test-alpha | grep Candidate || true"
        let result = try await host.converges(AptRepositoryModule.self, ["repo": .string(Self.repoLine), "filename": "keel-local"], fingerprint: fingerprint)
        #expect(try host.inspect("cat /etc/apt/sources.list.d/keel-local.list; stat -c %a /etc/apt/sources.list.d/keel-local.list") == Self.repoLine + "\n644\n")
        #expect(result.diffs.first?.after == Self.repoLine + "\n")
        #expect(try host.inspect("apt-cache policy keel-test-alpha | sed -n 's/ *Candidate: //p'") == "1.0\n", "update_cache ran after the change")
        // Removing it deletes the file it leaves empty.
        try await host.converges(AptRepositoryModule.self, ["repo": .string(Self.repoLine), "filename": "keel-local", "state": "absent", "update_cache": false],
                                 fingerprint: "ls /etc/apt/sources.list.d/")
        #expect(try host.inspect("ls /etc/apt/sources.list.d/") == "")
        // Without filename, Ansible's derived name.
        try await host.converges(AptRepositoryModule.self, ["repo": .string(Self.repoLine), "update_cache": false], fingerprint: "ls /etc/apt/sources.list.d/")
        #expect(try host.inspect("ls /etc/apt/sources.list.d/") == "file_srv_keel_debs.list\n")
        try host.inspect("rm -f /etc/apt/sources.list.d/file_srv_keel_debs.list")
    }

    @Test func packagesAreInstalledInOneTransactionThenRemovedWithPurge() async throws {
        let host = try await host()
        try await configureRepository(host)
        let result = try await host.converges(AptModule.self, ["name": ["keel-test-beta", "keel-test-alpha"], "state": "present"], fingerprint: Self.packages)
        #expect(try host.inspect(Self.packages) == "keel-test-alpha installed 1.0\nkeel-test-beta installed 1.0\n")
        #expect(result.diffs.first?.before == "keel-test-beta: (not installed)\nkeel-test-alpha: (not installed)\n")
        #expect(result.diffs.first?.after == "keel-test-beta: 1.0\nkeel-test-alpha: 1.0\n")
        // One apt-get transaction: dpkg's log shows a single install run for both.
        try await host.converges(AptModule.self, ["name": ["keel-test-beta", "keel-test-alpha"], "state": "absent", "purge": true], fingerprint: Self.packages)
        #expect(try host.inspect(Self.packages).contains("installed 1.0") == false)
    }

    /// A package only a source added just before knows (the lists have not read it yet) is installed by the
    /// same task's update, not reported ok without it.
    @Test func aPackageOnlyTheUpdateRevealsIsInstalled() async throws {
        let host = try await host()
        try await configureRepository(host)
        try build(host, "keel-test-gamma", "1.0")
        try index(host)
        defer { _ = try? host.inspect("dpkg --purge keel-test-gamma >/dev/null 2>&1; rm -f \(Self.repo)/keel-test-gamma_1.0_all.deb; true") }
        let result = try await host.converges(AptModule.self, ["name": ["keel-test-gamma"], "update_cache": true], fingerprint: Self.packages)
        #expect(try host.inspect(Self.packages) == "keel-test-gamma installed 1.0\n")
        #expect(result.diffs.first?.after == "package lists: updated\nkeel-test-gamma: (candidate)\n")
    }

    /// policy_rc_d: while apt-get runs, policy-rc.d answers with the given code (what a package's
    /// maintainer script asks before starting its service); the host's own file is back afterwards.
    @Test func policyRcDAnswersDuringTheInstallOnly() async throws {
        let host = try await host()
        try await configureRepository(host)
        try host.inspect("dpkg --purge keel-test-rcd >/dev/null 2>&1 || true; rm -f /var/tmp/keel-rcd-code \(Self.repo)/keel-test-rcd_1.0_all.deb")
        try build(host, "keel-test-rcd", "1.0", postinst: "/usr/sbin/policy-rc.d keel-test start; echo $? > /var/tmp/keel-rcd-code")
        try index(host)
        _ = try await host.run(AptModule.self, ["update_cache": true])
        let before = try host.inspect("sha256sum /usr/sbin/policy-rc.d 2>/dev/null || echo none")
        let result = try await host.run(AptModule.self, ["name": "keel-test-rcd", "policy_rc_d": 101])
        #expect(result.changed)
        #expect(try host.inspect("cat /var/tmp/keel-rcd-code") == "101\n")
        #expect(try host.inspect("sha256sum /usr/sbin/policy-rc.d 2>/dev/null || echo none") == before)
        try host.inspect("dpkg --purge keel-test-rcd >/dev/null 2>&1 || true")
    }

    @Test func autoremoveTakesTheDependencyNobodyNeedsAnyMore() async throws {
        let host = try await host()
        try await configureRepository(host)
        _ = try await host.run(AptModule.self, ["name": "keel-test-beta"])
        #expect(try host.inspect("apt-mark showauto keel-test-alpha") == "keel-test-alpha\n", "alpha came in as beta's dependency")
        let result = try await host.converges(AptModule.self, ["name": "keel-test-beta", "state": "absent", "autoremove": true], fingerprint: Self.packages)
        #expect(result.diffs.first?.before == "keel-test-beta: 1.0\nkeel-test-alpha: 1.0\n")
        #expect(result.diffs.first?.after == "keel-test-beta: (not installed)\nkeel-test-alpha: (not installed)\n")
        #expect(try host.inspect("dpkg-query -W -f='${db:Status-Status}\\n' keel-test-alpha keel-test-beta 2>/dev/null || true").contains("installed\n") == false)
    }

    @Test func latestUpgradesWhenTheRepositoryHasANewerVersion() async throws {
        let host = try await host()
        try await configureRepository(host)
        _ = try await host.run(AptModule.self, ["name": "keel-test-alpha=1.0", "update_cache": true])
        #expect(try host.inspect("dpkg-query -W -f='${Version}' keel-test-alpha") == "1.0")
        try build(host, "keel-test-alpha", "2.0")
        try index(host)
        // update_cache alone: the lists are updated (changed); with cache_valid_time they stay fresh.
        try host.inspect("touch -d '2 hours ago' /var/lib/apt/periodic/update-success-stamp")
        try await host.converges(AptModule.self, ["update_cache": true, "cache_valid_time": 3600],
                                 fingerprint: "stat -c %Y /var/lib/apt/periodic/update-success-stamp")
        let result = try await host.converges(AptModule.self, ["name": "keel-test-alpha", "state": "latest"], fingerprint: Self.packages)
        #expect(result.diffs.first?.before == "keel-test-alpha: 1.0\n")
        #expect(result.diffs.first?.after == "keel-test-alpha: 2.0\n")
        #expect(try host.inspect("cat /usr/share/keel-test-alpha/version") == "2.0\n")
        // present with a version downgrades only when allowed.
        try await host.converges(AptModule.self, ["name": "keel-test-alpha=1.0", "allow_downgrade": true], fingerprint: Self.packages)
        #expect(try host.inspect("dpkg-query -W -f='${Version}' keel-test-alpha") == "1.0")
    }

    @Test func aLocalDebIsInstalledOnce() async throws {
        let host = try await host()
        try host.inspect("mkdir -p /tmp/keel-deb")
        try build(host, "keel-test-gamma", "3.1", into: "/tmp/keel-deb")
        try await host.converges(AptModule.self, ["deb": "/tmp/keel-deb/keel-test-gamma_3.1_all.deb"], fingerprint: Self.packages)
        #expect(try host.inspect("dpkg-query -W -f='${Version}' keel-test-gamma") == "3.1")
    }

    @Test func anUnknownPackageFailsBeforeAnythingRuns() async throws {
        let host = try await host()
        try await configureRepository(host)
        await #expect { try await host.run(AptModule.self, ["name": ["keel-test-alpha", "keel-test-nonexistent"]]) } throws: { error in
            "\(error)".contains("no package matching 'keel-test-nonexistent' is available")
        }
        #expect(try host.inspect("dpkg-query -W -f='${db:Status-Status}' keel-test-alpha 2>/dev/null || true") != "installed")
    }
}

/// package dispatches to apt by the gathered facts (or by asking the host when there are none).
@Suite("package module on a lab host", .serialized) struct PackageModuleTests {
    @Test func packageUsesAptFromTheFactsAndByAskingTheHost() async throws {
        let apt = AptModuleTests()
        let base = try await apt.host(prefix: "pkg")   // its own host: suites run side by side
        try await apt.configureRepository(base)
        let withFacts = SystemLabHost(lab: base.lab, context: { var c = base.context; c.facts = ["pkg_mgr": "apt"]; return c }())
        try await withFacts.converges(PackageModule.self, ["name": "keel-test-alpha", "state": "present"], fingerprint: AptModuleTests.packages)
        #expect(try base.inspect("dpkg-query -W -f='${db:Status-Status}' keel-test-alpha") == "installed")
        try await base.converges(PackageModule.self, ["name": "keel-test-alpha", "state": "absent"], fingerprint: AptModuleTests.packages)
        #expect(try base.inspect("dpkg-query -W -f='${db:Status-Status}' keel-test-alpha 2>/dev/null || true") != "installed")
    }

    /// Roles pass dnf's enablerepo through package in tasks meant for RedHat: a known argument (handed to
    /// dnf), refused on an apt host (as Ansible's apt refuses it) before anything changes.
    @Test func enablerepoGoesToDnfAndIsRefusedByApt() async throws {
        let apt = AptModuleTests()
        let base = try await apt.host(prefix: "pkg")
        try await apt.configureRepository(base)
        let withFacts = SystemLabHost(lab: base.lab, context: { var c = base.context; c.facts = ["pkg_mgr": "apt"]; return c }())
        try base.inspect("apt-get remove -y -q keel-test-alpha >/dev/null 2>&1 || true")
        await #expect { try await withFacts.run(PackageModule.self, ["name": "keel-test-alpha", "state": "present", "enablerepo": ["extras"]]) } throws: { error in
            "\(error)".contains("enablerepo and disablerepo are dnf/yum options")
        }
        #expect(try base.inspect("dpkg-query -W -f='${db:Status-Status}' keel-test-alpha 2>/dev/null || true") != "installed")
    }
}

/// apt_key writes keys into trusted.gpg.d; the key text here is a stand-in (apt only reads it when a
/// signed repository is updated, which the offline lab has none of).
@Suite("apt_key module on a lab host", .serialized) struct AptKeyModuleTests {
    static let key = "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nmDMEZkeelBYJKwYBBAHaRw8BAQdAkeel\n=keel\n-----END PGP PUBLIC KEY BLOCK-----\n"

    @Test func aKeyFileIsWrittenOnceAndRemovedById() async throws {
        let host = try await SystemLabHost.make("aptkey")
        try host.inspect("rm -f /etc/apt/trusted.gpg.d/keel-0123ABCD.asc /etc/apt/keyrings/keel-vendor.gpg")
        let fingerprint = "cat /etc/apt/trusted.gpg.d/keel-0123ABCD.asc 2>/dev/null; stat -c %a /etc/apt/trusted.gpg.d/keel-0123ABCD.asc 2>/dev/null; true"
        try await host.converges(AptKeyModule.self, ["id": "0123ABCD", "data": .string(Self.key)], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == Self.key + "644\n")
        try await host.converges(AptKeyModule.self, ["id": "0123ABCD", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
    }

    @Test func aKeyFileOnTheHostIsCopiedToItsKeyring() async throws {
        let host = try await SystemLabHost.make("aptkey")
        try host.inspect("rm -f /etc/apt/keyrings/keel-vendor.gpg; printf 'binary-key' > /tmp/vendor.gpg")
        try await host.converges(AptKeyModule.self, ["file": "/tmp/vendor.gpg", "keyring": "/etc/apt/keyrings/keel-vendor.gpg"],
                                 fingerprint: "cat /etc/apt/keyrings/keel-vendor.gpg 2>/dev/null; true")
        #expect(try host.inspect("cat /etc/apt/keyrings/keel-vendor.gpg") == "binary-key")
        await #expect { try await host.run(AptKeyModule.self, ["url": "https://example.test/key.asc"]) } throws: { error in "\(error)".contains("not supported") }
    }
}
