import Foundation
import KeelBase
import KeelModules
import Testing

/// dnf against a real rpm database and a local repository: Debian's dnf, rpm and createrepo_c on a
/// light host (no Fedora host exists here). The test builds noarch .rpm packages with rpmbuild,
/// indexes them with createrepo_c and points dnf at file:///srv/keel-rpms.
@Suite("dnf module on a lab host (Debian's dnf)", .serialized) struct DnfModuleTests {
    static let repo = "/srv/keel-rpms"
    static let packages = "rpm -q keel-test-rpm keel-test-rpm2 2>/dev/null; true"

    func build(_ host: SystemLabHost, _ name: String, _ version: String) throws {
        try host.inspect("""
            set -e
            t=$(mktemp -d)
            mkdir -p "$t/SPECS"
            cat > "$t/SPECS/p.spec" <<'S'
            Name: \(name)
            Version: \(version)
            Release: 1
            Summary: Keel test package
            License: MIT
            BuildArch: noarch
            AutoReqProv: no
            %description
            Keel test package.
            %install
            mkdir -p %{buildroot}/usr/share/\(name)
            echo %{version} > %{buildroot}/usr/share/\(name)/version
            %files
            /usr/share/\(name)/version
            S
            rpmbuild --define "_topdir $t" -bb "$t/SPECS/p.spec" >/dev/null 2>&1
            cp "$t"/RPMS/noarch/*.rpm \(Self.repo)/
            rm -rf "$t"
            createrepo_c -q \(Self.repo)
            """)
    }

    func host() async throws -> SystemLabHost {
        let host = try await SystemLabHost.make("dnf")
        try host.inspect("""
            for p in keel-test-rpm keel-test-rpm2; do rpm -e --nodeps $p >/dev/null 2>&1; done
            rm -rf \(Self.repo); mkdir -p \(Self.repo) /etc/yum.repos.d
            printf '[keel]\\nname=keel\\nbaseurl=file://\(Self.repo)\\ngpgcheck=0\\nenabled=1\\nmetadata_expire=0\\n' > /etc/yum.repos.d/keel.repo
            true
            """)
        try build(host, "keel-test-rpm", "1.0")
        try build(host, "keel-test-rpm2", "1.0")
        return host
    }

    @Test func packagesAreInstalledInOneTransactionUpgradedAndRemoved() async throws {
        let host = try await host()
        let installed = try await host.converges(DnfModule.self, ["name": ["keel-test-rpm", "keel-test-rpm2"], "state": "present"], fingerprint: Self.packages)
        #expect(try host.inspect(Self.packages) == "keel-test-rpm-1.0-1.noarch\nkeel-test-rpm2-1.0-1.noarch\n")
        #expect(installed.diffs.first?.before == "keel-test-rpm: (not installed)\nkeel-test-rpm2: (not installed)\n")
        try build(host, "keel-test-rpm", "2.0")
        let upgraded = try await host.converges(DnfModule.self, ["name": "keel-test-rpm", "state": "latest"], fingerprint: Self.packages)
        #expect(upgraded.diffs.first?.after == "keel-test-rpm: 2.0-1\n")
        #expect(try host.inspect("cat /usr/share/keel-test-rpm/version") == "2.0\n")
        try await host.converges(DnfModule.self, ["name": ["keel-test-rpm", "keel-test-rpm2"], "state": "absent"], fingerprint: Self.packages)
        #expect(try host.inspect(Self.packages).contains("noarch") == false)
    }

    @Test func packageDispatchesToDnfFromTheFacts() async throws {
        let base = try await host()
        let host = SystemLabHost(lab: base.lab, context: { var c = base.context; c.facts = ["pkg_mgr": "dnf"]; return c }())
        try await host.converges(PackageModule.self, ["name": "keel-test-rpm2", "state": "present"], fingerprint: Self.packages)
        #expect(try host.inspect("rpm -q keel-test-rpm2") == "keel-test-rpm2-1.0-1.noarch\n")
    }
}
