import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// The packaged Keel (scripts/package) on a machine without Swift: a systemd lab host booted from a plain
/// Debian tree installs the .deb with dpkg, gets the binary, completions and man pages, runs `keel play`
/// against another lab host, and refuses `keel lab` with a clear message. The tarball's binary runs too.
@Suite("The packaged keel on a host without Swift") struct PackageLabTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// KEEL_PACKAGE_DIR (scripts/test packages into .build/package before the tests run).
    static func artifacts() throws -> (deb: String, tarball: String) {
        let directory = ProcessInfo.processInfo.environment["KEEL_PACKAGE_DIR"] ?? repository + "/.build/package"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        guard let deb = names.first(where: { $0.hasSuffix(".deb") }), let tarball = names.first(where: { $0.hasSuffix(".tar.gz") }) else {
            throw PackageMissing(directory: directory)
        }
        return (directory + "/" + deb, directory + "/" + tarball)
    }

    struct PackageMissing: Error, CustomStringConvertible {
        var directory: String
        var description: String { "no package in \(directory): run `bash scripts/package --debug --out .build/package` first (scripts/test does)" }
    }

    @Test func theDebianPackageInstallsAndRunsWithoutSwift() async throws {
        let (deb, tarball) = try Self.artifacts()
        let installer = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "debi")[0]
        let target = try await LabTargets.hosts(1, prefix: "debt")[0]
        try LabTargets.inspect(target, "rm -f /tmp/keel-package-marker")
        // The host has no Swift at all: nothing but Debian's libraries can satisfy the binary.
        #expect(try LabTargets.inspect(installer, "ldconfig -p | grep -c libswiftCore || true") == "0\n")

        // The development keel copies the package and a small project onto the host.
        let lab = LabTargets.lab
        let project = """
            - hosts: lab
              gather_facts: false
              tasks:
                - file: {path: /root/site, state: directory}
                - copy: {src: "\(deb)", dest: /root/keel.deb}
                - copy: {src: "\(tarball)", dest: /root/keel.tar.gz}
                - copy: {src: "\(lab.clientKeyPath)", dest: /root/site/lab_key, mode: "0600"}
                - copy: {src: "\(lab.knownHostsPath)", dest: /root/site/known_hosts}
                - copy:
                    dest: /root/site/inventory.ini
                    content: |
                      [targets]
                      \(target.name) ansible_host=\(target.address) ansible_user=root ansible_ssh_private_key_file=/root/site/lab_key ansible_ssh_common_args='-o UserKnownHostsFile=/root/site/known_hosts -o StrictHostKeyChecking=yes'
                - copy:
                    dest: /root/site/site.yml
                    content: |
                      - hosts: targets
                        gather_facts: false
                        tasks:
                          - copy: {content: "converged by the packaged keel\\n", dest: /tmp/keel-package-marker}

            """
        let dir = try KeelBinary.directory(["ship.yml": project, "hosts.ini": SavedPlanCLITests.inventory([installer])])
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try KeelBinary.run(["play", "ship.yml", "-i", "hosts.ini"], in: dir)
        #expect(shipped.status == 0, "\(shipped.output)")

        let installed = try lab.exec(installer.name, "dpkg -i /root/keel.deb")
        #expect(installed.status == 0, "dpkg -i: \(installed.stdout)\(installed.stderr)")
        let version = try LabTargets.inspect(installer, "keel --version && keel version")
        #expect(version.hasPrefix("0."), "\(version)")
        #expect(version.contains("swift runtime: static") && !version.contains("commit: unknown"), "\(version)")
        let files = try LabTargets.inspect(installer, """
            ls /usr/share/bash-completion/completions/keel /usr/share/zsh/vendor-completions/_keel \
               /usr/share/fish/vendor_completions.d/keel.fish /usr/share/man/man1/keel.1.gz
            ls /usr/share/man/man1 | grep -c '^keel'
            """)
        #expect(Int(files.split(separator: "\n").last ?? "") ?? 0 >= 10, "a man page per subcommand: \(files)")

        let play = try lab.exec(installer.name, "cd /root/site && NO_COLOR=1 keel play site.yml -i inventory.ini")
        #expect(play.status == 0, "\(play.stdout)\(play.stderr)")
        #expect(try LabTargets.inspect(target, "cat /tmp/keel-package-marker") == "converged by the packaged keel\n")

        let labUp = try lab.exec(installer.name, "keel lab up 1")
        #expect(labUp.status != 0, "\(labUp.stdout)")
        #expect(labUp.stderr.contains("keel lab cannot run on this machine: tini not found"), "\(labUp.stderr)")
        #expect(labUp.stderr.contains("apt-get install tini"), "\(labUp.stderr)")

        let unpacked = try LabTargets.inspect(installer, "rm -rf /opt/keel-tar && mkdir -p /opt/keel-tar && tar -xzf /root/keel.tar.gz -C /opt/keel-tar && /opt/keel-tar/usr/bin/keel --version")
        #expect(unpacked.hasPrefix("0."), "\(unpacked)")
    }

    @Test func lintianFindsNoErrorInThePackage() throws {
        let (deb, _) = try Self.artifacts()
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/lintian") else {
            Issue.record("lintian is not installed: scripts/install-deps.sh installs it")
            return
        }
        let result = try KeelBinary.run([], shell: "lintian --fail-on error '\(deb)'")
        #expect(result.status == 0, "\(result.output)")
    }
}
