import Foundation
import KeelBase
import Testing
@testable import KeelModel

/// Roles named `namespace.collection.role` found through collections_path or `collections/` beside the
/// playbook; and the loader's problem log, which records what it can step over and goes on.
@Suite("collection roles and the problem log") struct CollectionRoleAndProblemLogTests {

    @Test func collectionRolesAreFoundInCollectionsPathAndBesideThePlaybook() throws {
        let shared = try scratchDirectory(["ansible_collections/acme/web/roles/nginx/tasks/main.yml": "- debug: msg=shared\n"])
        var options = LoaderOptions(environment: [:])
        options.collectionsPath = [shared]
        let viaPath = try loadScratch("- hosts: all\n  roles: [acme.web.nginx]\n", using: PlaybookLoader(catalog: testCatalog, options: options))
        #expect(viaPath.plays[0].roleRuns.first?.path == shared + "/ansible_collections/acme/web/roles/nginx")
        let beside = try loadScratch("- hosts: all\n  roles: [acme.db.pg]\n",
                                     files: ["collections/ansible_collections/acme/db/roles/pg/tasks/main.yml": "- debug: msg=beside\n"])
        #expect(beside.plays[0].roleRuns.first?.path.hasSuffix("/collections/ansible_collections/acme/db/roles/pg") == true)
    }

    @Test func theLogCollectsEveryProblemTheLoaderCanStepOver() throws {
        var options = LoaderOptions(checkTemplate: { text, _ in
            if text.contains("shout") { throw KeelError("no filter named 'shout'") }
        }, environment: [:])
        let log = LoadProblemLog()
        options.problemLog = log
        let playbook = try loadScratch("""
            - hosts: all
              colour: blue
              tasks:
                - frobnicate: {x: 1}
                - action: nosuch a=1
                - debug: msg="{{ x | shout }}"
                - block:
                    - debug: msg=fine
                  colour: red
                - whn: true
                  debug: msg=typo-beside-a-module
            """, using: PlaybookLoader(catalog: testCatalog, options: options))
        #expect(log.problems.map { "\($0.location?.line ?? 0) \($0.message)" } == [
            "2 unknown play keyword 'colour'",
            "4 unknown module or task keyword 'frobnicate'",
            "5 unknown module 'nosuch'",
            "6 no filter named 'shout'",
            "9 unknown block keyword 'colour'",
            "10 unknown module or task keyword 'whn'",
        ])
        // Loading went on: every task is there, the unknown ones keep their names as actions.
        let actions = playbook.plays[0].tasks.compactMap { node -> String? in if case .task(let t) = node { t.action } else { nil } }
        #expect(actions.contains("frobnicate") && actions.contains("nosuch"))
        // Without a log, the first problem is thrown as before.
        #expect(loadError("- hosts: all\n  colour: blue\n").message == "unknown play keyword 'colour'")
    }
}
