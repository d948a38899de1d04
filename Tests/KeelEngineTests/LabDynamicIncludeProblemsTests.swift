import Foundation
import KeelLab
import KeelTestSupport
import Testing

/// Roles carry task files for other systems (`include_tasks: setup-Suse.yml` under a `when`) that use
/// modules and arguments Keel does not have. Ansible reads such a file only when the include runs, so the
/// role must load and run; the problems are still listed (as warnings) by --syntax-check, and the include
/// fails if it does run. A module the role ships in library/ (Python, which Keel does not run) is the same. Literal arguments that may render to `omit` do not conflict at load time either.
/// One test at a time: two of them empty and check /srv/dyninc on the same lab host (run at once, one
/// removed the marker the other had just written).
@Suite("Problems in dynamically included files", .serialized) struct LabDynamicIncludeProblemsTests {
    func write(_ text: String, to path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    func project(host: LabHost, osFamily: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-dyninc-\(UUID().uuidString)").path
        try write(LabInventory.ini([host]), to: directory + "/inventory.ini")
        try write("""
            - hosts: lab
              gather_facts: false
              vars:
                family: \(osFamily)
              roles:
                - platform
            """, to: directory + "/site.yml")
        try write("""
            - name: set up the other system
              include_tasks: setup-Other.yml
              when: family == 'Other'
            - name: the other system's extras
              include_role:
                name: other_extras
              when: family == 'Other'
            - name: the role's own module, for the other system only
              corp_fingerprint: {message: "done"}
              when: family == 'Other'
            - name: one file, written whichever the source
              copy:
                dest: /srv/dyninc/marker
                content: "{{ marker_text | default(omit) }}"
                src: "{{ marker_file | default(omit) }}"
              vars:
                marker_text: "ran on {{ family }}\\n"
            """, to: directory + "/roles/platform/tasks/main.yml")
        try write("""
            - name: a package manager Keel lacks
              community.general.pacman: {name: nginx}
            - name: an argument Keel lacks
              file: {path: /srv/dyninc/other, state: directory, frobnicate: true}
            """, to: directory + "/roles/platform/tasks/setup-Other.yml")
        try write("#!/usr/bin/python\n# an Ansible module the role ships\n", to: directory + "/roles/platform/library/corp_fingerprint.py")
        try write("""
            - name: another module Keel lacks
              community.general.zypper_repository: {name: extras}
            """, to: directory + "/roles/other_extras/tasks/main.yml")
        return directory
    }

    @Test func aRoleLoadsAndRunsWhenItsOtherSystemFilesAreNotIncluded() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-dyninc")[0]
        _ = try Lab().exec(host.name, "rm -rf /srv/dyninc; mkdir -p /srv/dyninc")
        let directory = try project(host: host, osFamily: "Debian")
        defer { try? FileManager.default.removeItem(atPath: directory) }

        let check = try KeelCLI.run(["play", "-i", "inventory.ini", "--syntax-check", "site.yml"], in: directory)
        #expect(check.status == 0, "\(check.output)")
        for place in ["setup-Other.yml:2:", "setup-Other.yml:4:", "other_extras/tasks/main.yml:2:"] {
            #expect(check.output.contains("warning: roles/platform/tasks/\(place)") || check.output.contains("warning: roles/\(place)"),
                    "\(place) in \(check.output)")
        }
        #expect(check.output.contains("pacman") && check.output.contains("frobnicate") && check.output.contains("zypper_repository"),
                "\(check.output)")
        #expect(check.output.contains("warning: roles/platform/tasks/main.yml:8:") && check.output.contains("library/corp_fingerprint.py"),
                "\(check.output)")

        let run = try KeelCLI.run(["play", "-i", "inventory.ini", "site.yml"], in: directory)
        #expect(run.status == 0, "\(run.output)")
        #expect(try Lab().exec(host.name, "cat /srv/dyninc/marker").stdout == "ran on Debian\n")
        #expect(try Lab().exec(host.name, "test -e /srv/dyninc/other").status != 0)
    }

    @Test func theIncludeFailsWhenItRuns() async throws {
        let host = try await LabFixture.shared.hosts(1, prefix: "eng-dyninc")[0]
        _ = try Lab().exec(host.name, "rm -rf /srv/dyninc; mkdir -p /srv/dyninc")
        let directory = try project(host: host, osFamily: "Other")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try KeelCLI.run(["play", "-i", "inventory.ini", "site.yml"], in: directory)
        #expect(run.status != 0, "\(run.output)")
        #expect(run.output.contains("pacman"), "\(run.output)")
        #expect(try Lab().exec(host.name, "test -e /srv/dyninc/marker").status != 0)
    }

    /// Both of two mutually exclusive arguments written literally is still refused before any host.
    @Test func literalConflictsAreStillRefusedAtLoadTime() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-dyninc-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try write("""
            - hosts: localhost
              connection: local
              gather_facts: false
              tasks:
                - copy: {dest: /tmp/never, content: "x", src: "{{ 'a' }}"}
                - copy: {dest: /tmp/never, content: "x", src: files/a}
            """, to: directory + "/site.yml")
        let check = try KeelCLI.run(["play", "-i", "localhost,", "--syntax-check", "site.yml"], in: directory)
        #expect(check.status == 4, "\(check.output)")
        #expect(check.output.contains("site.yml:6:") && check.output.contains("mutually exclusive"), "\(check.output)")
        #expect(!check.output.contains("site.yml:5:"), "\(check.output)")
    }
}
