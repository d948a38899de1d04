import Foundation
import KeelBase
import KeelReport
import Testing
@testable import KeelEngine

/// uri, get_url, find and archive in a playbook, by their FQCNs: a health check that retries with
/// `until: result.status == 200` until a server comes up, a download, a find whose files feed a loop, an
/// archive; a second run changes nothing. The controller itself is the host (connection: local), and the
/// server listens on its loopback only.
@Suite("uri, get_url, find and archive in a playbook") struct WebModulesPlaybookTests {
    @Test func aHealthCheckRetriesUntilTheServerAnswers() async throws {
        let port = Int.random(in: 20000...40000)
        let harness = try PlaybookHarness(files: ["site.yml": """
            - hosts: localhost
              connection: local
              gather_facts: false
              tasks:
                - name: directory
                  file: path=@DIR@/www state=directory
                - name: content
                  copy: content="served\\n" dest=@DIR@/www/file.txt
                - name: start a server a moment later
                  shell: (sleep 2; exec python3 -m http.server \(port) --bind 127.0.0.1 --directory @DIR@/www) </dev/null >/dev/null 2>&1 & echo $! > @DIR@/server.pid
                  changed_when: false
                - name: wait for it
                  ansible.builtin.uri:
                    url: http://127.0.0.1:\(port)/file.txt
                    return_content: true
                  register: health
                  until: health.status == 200
                  retries: 30
                  delay: 1
                - name: download
                  ansible.builtin.get_url:
                    url: http://127.0.0.1:\(port)/file.txt
                    dest: @DIR@/copy.txt
                    mode: "0600"
                - name: find it
                  ansible.builtin.find:
                    paths: @DIR@
                    patterns: "*.txt"
                  register: found
                - name: pack what find found
                  community.general.archive:
                    path: "{{ found.files | map(attribute='path') | list }}"
                    dest: @DIR@/files.tar.gz
                - name: record
                  copy:
                    content: "{{ health.content }}{{ found.matched }}"
                    dest: @DIR@/record
                - name: stop the server
                  shell: kill $(cat @DIR@/server.pid)
                  changed_when: false
            """])
        let first = await harness.play()
        #expect(first.status == .ok, "\(first.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" })")
        #expect(harness.read("copy.txt") == "served\n")
        #expect(harness.read("record") == "served\n1")
        #expect(first.results(named: "wait for it").first?.status == .ok, "uri is never a change")
        #expect(first.results(named: "pack what find found").first?.status == .changed)
        let second = await harness.play()
        #expect(second.status == .ok)
        #expect(second.changedTasks.isEmpty, "\(second.changedTasks)")
    }
}
