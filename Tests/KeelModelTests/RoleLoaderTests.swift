import Foundation
import Testing
import KeelBase
@testable import KeelModel

/// Roles: finding them, loading their parts, dependencies, and the run-time API for include_role.
@Suite struct RoleLoaderTests {
    func fixtureRole(_ name: String, _ request: RoleRequest? = nil) throws -> Role {
        try loader().loadRole(request ?? RoleRequest(name: name), playbookDirectory: fixture(""),
                              location: SourceLocation(file: fixture("site.yml"), line: 1, column: 1))
    }

    @Test func aRoleRecordsItsPathForTemplatesAndFiles() throws {
        let role = try fixtureRole("base")
        #expect(role.name == "base")
        #expect(role.path.hasSuffix("playbooks/roles/base"))
        #expect(FileManager.default.fileExists(atPath: role.templatesPath + "/motd.j2"))
        #expect(FileManager.default.fileExists(atPath: role.filesPath + "/data.txt"))
    }

    @Test func defaultsComeFromMainYAML() throws {
        let role = try fixtureRole("base")
        #expect(role.defaults == ["base_packages": ["vim", "curl"], "base_motd": "default"])
        #expect(try fixtureRole("common").defaults == ["common_param": "default"])   // main.yaml
    }

    @Test func aVarsDirectoryIsMergedInFileNameOrder() throws {
        let role = try fixtureRole("base")
        #expect(role.vars == ["base_a": 1, "base_shared": "second", "base_b": 2])
    }

    @Test func roleTasksCarryTheirRole() throws {
        let role = try fixtureRole("base")
        let tasks = role.tasks.flatMap(\.allTasks)
        #expect(tasks.map(\.name) == ["Install base packages", "Write motd", "Extra"])
        #expect(tasks.allSatisfy { $0.role?.name == "base" })
        #expect(tasks[0].role?.defaults["base_motd"] == "default")
    }

    @Test func importTasksInARoleIsFoundUnderItsTasksDirectory() throws {
        let role = try fixtureRole("base")
        let motd = role.tasks.flatMap(\.allTasks)[1]
        #expect(motd.location.file.hasSuffix("roles/base/tasks/motd.yml"))
        #expect(motd.action == "template")
    }

    @Test func handlersAreLoadedAsHandlers() throws {
        let role = try fixtureRole("base")
        #expect(role.handlers.flatMap(\.allTasks).map(\.action) == ["systemd"])
    }

    @Test func dependenciesAreLoadedWithTheirParameters() throws {
        let role = try fixtureRole("base")
        #expect(role.dependencies.map(\.name) == ["common"])
        #expect(role.dependencies[0].params == ["common_param": "from_base"])
    }

    @Test func fromOptionsPickOtherFiles() throws {
        let role = try fixtureRole("base", RoleRequest(name: "base", tasksFrom: "other"))
        #expect(role.tasks.flatMap(\.allTasks).map(\.name) == ["Other entry point"])
        #expect(role.tasksFrom == "other")
    }

    @Test func aMissingFromFileIsAnError() {
        #expect(throws: KeelError.self) { try fixtureRole("base", RoleRequest(name: "base", varsFrom: "nope")) }
    }

    @Test func includeTasksFilesLoadAtRunTimeRelativeToTheRole() throws {
        let role = try fixtureRole("base")
        let tasks = try loader().loadTasks(at: "extra.yml", includedFrom: role.path + "/tasks/main.yml",
                                           playbookDirectory: fixture(""), role: role.ref)
        #expect(tasks.flatMap(\.allTasks).map(\.name) == ["Extra from base"])
        #expect(tasks.flatMap(\.allTasks).first?.role?.name == "base")
    }

    @Test func includeTasksFilesLoadAtRunTimeRelativeToThePlaybook() throws {
        let tasks = try loader().loadTasks(at: "tasks/dynamic.yml", includedFrom: fixture("site.yml"),
                                           playbookDirectory: fixture(""))
        let task = try #require(tasks.flatMap(\.allTasks).first)
        #expect(task.loop?.items == [1, 2])
    }

    @Test func rolesBesideThePlaybookComeBeforeConfiguredPaths() throws {
        let dir = try scratchDirectory([
            "play.yml": "- hosts: all\n  roles: [r]\n",
            "roles/r/tasks/main.yml": "- debug: msg=beside\n",
            "configured/r/tasks/main.yml": "- debug: msg=configured\n",
        ])
        let play = try loader(rolesPath: [dir + "/configured"]).loadPlaybook(at: dir + "/play.yml").plays[0]
        #expect(play.roles[0].path == dir + "/roles/r")
    }

    @Test func configuredPathsComeBeforeThePlaybookDirectory() throws {
        let dir = try scratchDirectory([
            "play.yml": "- hosts: all\n  roles: [r]\n",
            "r/tasks/main.yml": "- debug: msg=playbook-dir\n",
            "configured/r/tasks/main.yml": "- debug: msg=configured\n",
        ])
        let play = try loader(rolesPath: ["configured"]).loadPlaybook(at: dir + "/play.yml").plays[0]
        #expect(play.roles[0].path == dir + "/configured/r")
    }

    @Test func ansibleRolesPathFromTheEnvironmentIsSearched() throws {
        let elsewhere = try scratchDirectory(["r/tasks/main.yml": "- ping:\n"])
        let dir = try scratchDirectory(["play.yml": "- hosts: all\n  roles: [r]\n"])
        let play = try loader(environment: ["ANSIBLE_ROLES_PATH": "/nonexistent:\(elsewhere)"])
            .loadPlaybook(at: dir + "/play.yml").plays[0]
        #expect(play.roles[0].path == elsewhere + "/r")
    }

    @Test func theRoleDirectoryItselfIsTheLastPlaceSearched() throws {
        let dir = try scratchDirectory(["play.yml": "- hosts: all\n  roles: [r]\n", "r/tasks/main.yml": "- ping:\n"])
        let play = try loader().loadPlaybook(at: dir + "/play.yml").plays[0]
        #expect(play.roles[0].path == dir + "/r")
    }

    @Test func aMissingRoleListsEveryPathSearched() {
        let error = loadError("- hosts: all\n  roles:\n    - nginx\n", using: loader(rolesPath: ["/opt/roles"]))
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message.hasPrefix("role 'nginx' not found; searched: "))
        #expect(error.message.contains("/roles/nginx, /opt/roles/nginx, "))
        #expect(error.message.hasSuffix("/nginx"))
    }

    @Test func aRoleEntryNeedsAName() {
        let error = loadError("- hosts: all\n  roles:\n    - when: x\n")
        #expect(error.shortLocation == "play.yml:3:7")
        #expect(error.message == "a role entry needs 'role'")
    }

    @Test func aDependencyCycleIsAnError() {
        let error = loadError("- hosts: all\n  roles: [a]\n", files: [
            "roles/a/meta/main.yml": "dependencies: [b]\n",
            "roles/b/meta/main.yml": "dependencies:\n  - role: a\n",
        ])
        #expect(error.shortLocation == "main.yml:2:5")
        #expect(error.message == "role 'a' depends on itself")
        #expect(error.found == "a -> b -> a")
    }

    @Test func anUnknownMetaKeyIsAnError() {
        let error = loadError("- hosts: all\n  roles: [a]\n", files: ["roles/a/meta/main.yml": "dependancies: []\n"])
        #expect(error.shortLocation == "main.yml:1:1")
        #expect(error.message == "unknown role meta key 'dependancies'")
        #expect(error.suggestion == "dependencies")
    }

    @Test func theSameRoleWithTheSameParametersRunsOnce() throws {
        let play = try loadScratch("- hosts: all\n  roles: [a, a, {role: a, x: 1}]\n",
                                   files: ["roles/a/tasks/main.yml": "- ping:\n"]).plays[0]
        #expect(play.roles.count == 3)
        #expect(play.roleRuns.map(\.params) == [[:], ["x": 1]])
    }

    @Test func allowDuplicatesLetsARoleRunAgain() throws {
        let play = try loadScratch("- hosts: all\n  roles: [a, a]\n", files: [
            "roles/a/tasks/main.yml": "- ping:\n", "roles/a/meta/main.yml": "allow_duplicates: true\n",
        ]).plays[0]
        #expect(play.roleRuns.count == 2)
    }

    @Test func roleKeywordsReachDependencies() throws {
        let play = try loadScratch("- hosts: all\n  roles:\n    - role: a\n      when: go\n      tags: t\n", files: [
            "roles/a/meta/main.yml": "dependencies: [b]\n", "roles/b/tasks/main.yml": "- ping:\n",
        ]).plays[0]
        let dependency = play.roleRuns[0]
        #expect(dependency.name == "b")
        #expect(dependency.keywords.when.map(\.expression) == ["go"])
        #expect(dependency.keywords.tags == ["t"])
    }

    @Test func importRoleInlinesTheRoleAsABlockWithItsKeywords() throws {
        let play = try loadScratch("""
            - hosts: all
              tasks:
                - import_role:
                    name: a
                    tasks_from: setup
                  when: ready
            """, files: [
                "roles/a/tasks/setup.yml": "- debug: msg=setup\n",
                "roles/a/handlers/main.yml": "- name: h\n  ping:\n",
            ]).plays[0]
        guard case .block(let block) = play.tasks[0] else { Issue.record("expected a block"); return }
        #expect(block.keywords.when.map(\.expression) == ["ready"])
        #expect(block.role?.name == "a")
        #expect(block.block.flatMap(\.allTasks).map { $0.args["msg"] } == ["setup"])
        #expect(play.allHandlers.flatMap(\.allTasks).map(\.name) == ["h"])
    }

    @Test func includeRoleIsCheckedButLoadedAtRunTime() throws {
        let error = loadError("- hosts: all\n  tasks:\n    - include_role:\n        tasks_from: x\n")
        #expect(error.shortLocation == "play.yml:4:9")
        #expect(error.message == "'include_role' needs a role 'name'")
    }

    @Test func includeRoleRejectsUnknownOptions() {
        let error = loadError("- hosts: all\n  tasks:\n    - include_role:\n        name: a\n        task_from: x\n")
        #expect(error.shortLocation == "play.yml:5:20")
        #expect(error.message == "'include_role' has no option 'task_from'")
        #expect(error.suggestion == "tasks_from")
    }

    @Test func loadRoleFindsSiblingsOfTheIncludingRoleFirst() throws {
        let dir = try scratchDirectory([
            "pb/play.yml": "- hosts: all\n",
            "lib/a/tasks/main.yml": "- ping:\n",
            "lib/b/tasks/main.yml": "- ping:\n",
        ])
        let parent = try loader().loadRole(named: dir + "/lib/a", playbookDirectory: dir + "/pb",
                                           location: SourceLocation(file: dir + "/pb/play.yml", line: 1, column: 1))
        let sibling = try loader().loadRole(named: "b", playbookDirectory: dir + "/pb", parentRole: parent.ref,
                                            location: SourceLocation(file: dir + "/pb/play.yml", line: 1, column: 1))
        #expect(sibling.path == dir + "/lib/b")
    }
}

@Suite struct RoleSourceNameTests {
    /// Expected names as ansible-core 2.19's RoleRequirement.role_yaml_parse gives them.
    @Test(arguments: [
        ("https://github.com/org/nginx-role.git", "nginx-role"),
        ("git+https://git.example.com/repos/web.git,v1.2", "web.git"),
        ("https://example.com/roles/tools.tar.gz", "tools"),
        ("git@github.com:org/base.git", "base"),
        ("https://example.com/x.git,v1,custom", "x.git"),
        ("plain_name", "plain_name"),
    ])
    func galaxySourcesNameTheRole(source: String, name: String) {
        #expect(PlaybookLoader.roleName(fromSource: source) == name)
    }

    @Test func galaxyStyleDependenciesAreFoundByTheirDerivedName() throws {
        let play = try loadScratch("- hosts: all\n  roles: [a]\n", files: [
            "roles/a/meta/main.yml": "dependencies:\n  - src: https://example.com/org/b.git\n    version: v1\n",
            "roles/b/tasks/main.yml": "- ping:\n",
        ]).plays[0]
        #expect(play.roleRuns.map(\.name) == ["b", "a"])
    }
}
