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
        #expect(version.contains("swift runtime: static"), "\(version)")
        #expect(version.contains(/\ncommit: [0-9a-f]{12}(-dirty)?\n/), "the commit it was built from: \(version)")
        // The libssh2 it reports is the one it runs with: the upstream version of the host's libssh2-1.
        let debianLibSSH2 = try LabTargets.inspect(installer, "dpkg-query -W -f='${Version}' libssh2-1 | sed 's/-[^-]*$//'")
        #expect(version.contains("\nlibssh2: \(debianLibSSH2)\n"), "libssh2-1 \(debianLibSSH2): \(version)")
        // Nothing of the Swift toolchain is left to load, and nothing is missing.
        let libraries = try LabTargets.inspect(installer, "ldd /usr/bin/keel")
        #expect(!libraries.contains("not found") && !libraries.contains("libswift") && !libraries.contains("libFoundation")
                && !libraries.contains("libdispatch"), "\(libraries)")

        // A man page for keel and for every subcommand, named as the README says (`man keel-play`).
        let pages = try LabTargets.inspect(installer, "ls /usr/share/man/man1 | grep '^keel'")
            .split(separator: "\n").map { $0.replacingOccurrences(of: ".1.gz", with: "") }
        #expect(pages.sorted() == (try Self.commandPages()), "\(pages)")
        // The completions of the three shells know the subcommands.
        let completions = try LabTargets.inspect(installer, """
            for f in /usr/share/bash-completion/completions/keel /usr/share/zsh/vendor-completions/_keel \
                     /usr/share/fish/vendor_completions.d/keel.fish; do grep -q 'encrypt_string' "$f" && echo "$f"; done
            """)
        #expect(completions.split(separator: "\n").count == 3, "\(completions)")

        let play = try lab.exec(installer.name, "cd /root/site && NO_COLOR=1 keel play site.yml -i inventory.ini")
        #expect(play.status == 0, "\(play.stdout)\(play.stderr)")
        #expect(try LabTargets.inspect(target, "cat /tmp/keel-package-marker") == "converged by the packaged keel\n")

        let labUp = try lab.exec(installer.name, "keel lab up 1")
        #expect(labUp.status != 0, "\(labUp.stdout)")
        #expect(labUp.stderr.contains("keel lab cannot run on this machine: tini not found"), "\(labUp.stderr)")
        #expect(labUp.stderr.contains("apt-get install tini"), "\(labUp.stderr)")
        let labAsUser = try lab.exec(installer.name, "cd /tmp && runuser -u nobody -- keel lab up 1")
        #expect(labAsUser.status != 0, "\(labAsUser.stdout)")
        #expect(labAsUser.stderr.contains("keel lab needs root"), "\(labAsUser.stderr)")

        // The tarball, as the README installs it: under /usr/local, with its completions and man pages.
        let unpacked = try LabTargets.inspect(installer, """
            tar -xzf /root/keel.tar.gz -C /usr/local --strip-components=1
            /usr/local/bin/keel --version
            ls /usr/local/share/man/man1/keel-play.1.gz /usr/local/share/bash-completion/completions/keel >/dev/null
            """)
        #expect(unpacked.hasPrefix("0."), "\(unpacked)")
    }

    /// keel and every subcommand, as man page names (keel-lab-up), from the command tree the binary describes.
    static func commandPages() throws -> [String] {
        let dump = try KeelBinary.run(["--experimental-dump-help"])
        struct Command: Decodable { var commandName: String; var subcommands: [Command]? }
        struct Dump: Decodable { var command: Command }
        let root = try JSONDecoder().decode(Dump.self, from: Data(dump.stdout.utf8)).command
        func names(_ command: Command, _ prefix: String) -> [String] {
            let name = prefix.isEmpty ? command.commandName : prefix + "-" + command.commandName
            return [name] + (command.subcommands ?? []).flatMap { names($0, name) }
        }
        return names(root, "").sorted()
    }

    /// The README's tarball install names every library package the .deb depends on.
    @Test func theReadmeTarballInstallNamesEveryDependency() throws {
        let (deb, _) = try Self.artifacts()
        let depends = try KeelBinary.run([], shell: "dpkg-deb -f '\(deb)' Depends")
        #expect(depends.status == 0, "\(depends.output)")
        let packages = depends.stdout.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: " ")[0] }
        let readme = try String(contentsOfFile: Self.repository + "/README.md", encoding: .utf8)
        let line = readme.split(separator: "\n").first { $0.hasPrefix("apt-get install lib") }.map(String.init) ?? ""
        let named = Set(line.split(separator: " ").dropFirst(2).map(String.init))
        #expect(!packages.isEmpty && packages.allSatisfy { named.contains(String($0)) }, "Depends \(packages), README: \(line)")
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
