import Testing
import KeelBase
@testable import KeelModel

/// The fixture site.yml, a play that uses every play keyword, parsed into the model.
@Suite struct PlaybookLoaderTests {
    let playbook: Playbook
    var play: Play { playbook.plays[0] }

    init() throws {
        playbook = try loader().loadPlaybook(at: fixture("site.yml"))
    }

    @Test func importedPlaybooksAreInlinedAfterTheImportingPlays() {
        #expect(playbook.plays.count == 2)
        #expect(playbook.plays[1].file.hasSuffix("playbooks/imported.yml"))
    }

    @Test func playKeepsNameHostsAndLocation() {
        #expect(play.name == "Configure web servers")
        #expect(play.hosts == ["webservers"])
        #expect(play.location.line == 2)
        #expect(play.location.column == 3)
        #expect(play.file.hasSuffix("site.yml"))
    }

    @Test func privilegeKeywordsAreTyped() {
        #expect(play.keywords.become == .value(true))
        #expect(play.keywords.becomeUser == "root")
        #expect(play.keywords.becomeMethod == "sudo")
        #expect(play.keywords.remoteUser == "deploy")
        #expect(play.keywords.connection == "ssh")
    }

    @Test func yamlBooleansInAnyAnsibleSpellingAreBooleans() {
        #expect(play.gatherFacts == .value(false))         // no
        #expect(play.keywords.ignoreUnreachable == .value(true))  // yes
        #expect(play.keywords.ignoreErrors == .value(false))
        #expect(play.forceHandlers == .value(true))
        #expect(play.keywords.checkMode == .value(false))
        #expect(play.keywords.diff == .value(true))
        #expect(play.keywords.noLog == .value(false))
        #expect(play.keywords.anyErrorsFatal == .value(true))
    }

    @Test func serialAcceptsCountsPercentagesAndTemplates() {
        #expect(play.serial == [.count(1), .percent(30), .template("{{ batch }}")])
    }

    @Test func strategyOrderAndFailurePercentage() {
        #expect(play.strategy == "free")
        #expect(play.order == .sorted)
        #expect(play.maxFailPercentage == .value(25))
    }

    @Test func varsKeepTheirOrderAndStayUnrendered() {
        #expect(Array(play.keywords.vars.keys) == ["http_port", "motd"])
        #expect(play.keywords.vars["motd"] == "Welcome to {{ inventory_hostname }}")
        #expect(play.keywords.vars["http_port"] == 80)
    }

    @Test func environmentModuleDefaultsAndCollectionsAreKeptAsData() {
        #expect(play.keywords.environment == ["HTTP_PROXY": "http://proxy:3128"])
        #expect(play.keywords.moduleDefaults == ["ansible.builtin.file": ["owner": "root"]])
        #expect(play.keywords.collections == ["community.general"])
        #expect(play.keywords.tags == ["site", "web"])
    }

    @Test func varsFilesKeepAlternativesUnrendered() {
        #expect(play.varsFiles.map(\.alternatives) == [["vars/common.yml"],
                                                       ["vars/{{ ansible_os_family }}.yml", "vars/default.yml"]])
    }

    @Test func varsPromptIsParsed() throws {
        let prompt = try #require(play.varsPrompt.first)
        #expect(prompt.name == "release")
        #expect(prompt.prompt == "Which release?")
        #expect(prompt.default == "1.0")
        #expect(prompt.private == false)
    }

    @Test func taskSectionsAreSeparate() {
        #expect(play.preTasks.count == 1)
        #expect(play.postTasks.count == 1)
        #expect(play.handlers.count == 1)
    }

    @Test func importTasksInlinesTheFileKeepingEachTasksOwnLocation() throws {
        guard case .task(let first) = play.tasks[0] else { Issue.record("expected a task"); return }
        #expect(first.name == "Create the app directory")
        #expect(first.location.file.hasSuffix("tasks/common.yml"))
        #expect(first.location.line == 2)
        #expect(first.action == "file")
        #expect(first.args == ["path": "/srv/app", "state": "directory", "mode": "0755"])
    }

    @Test func importTasksAppliesItsWhenTagsAndVarsToEachImportedNode() throws {
        guard case .task(let first) = play.tasks[0], case .block(let block) = play.tasks[1] else {
            Issue.record("expected a task then a block"); return
        }
        #expect(first.keywords.when.map(\.expression) == ["common_enabled", "app_enabled"])
        #expect(first.keywords.tags == ["common"])
        #expect(first.keywords.vars["common_var"] == 1)
        #expect(block.keywords.when.map(\.expression) == ["common_enabled"])
        #expect(block.keywords.tags == ["common", "inner"])
    }

    @Test func includeTasksStaysATaskForTheEngine() throws {
        guard case .task(let include) = play.tasks[2] else { Issue.record("expected a task"); return }
        #expect(include.action == "include_tasks")
        #expect(include.args["_raw_params"] == "tasks/dynamic.yml")
    }

    @Test func notifyAcceptsAString() throws {
        guard case .task(let task) = play.tasks[3] else { Issue.record("expected a task"); return }
        #expect(task.notify == ["restart web"])
        #expect(task.action == "command")
        #expect(task.args["_raw_params"] == "/bin/true")
    }

    @Test func handlersListenToTopics() throws {
        guard case .task(let handler) = play.handlers[0] else { Issue.record("expected a task"); return }
        #expect(handler.name == "restart web")
        #expect(handler.listen == ["web changed", "restart all"])
        #expect(handler.action == "service")
    }

    @Test func freeFormArgumentsOfANonFreeFormModuleAreKeyValues() throws {
        guard case .task(let task) = play.preTasks[0] else { Issue.record("expected a task"); return }
        #expect(task.action == "apt")
        #expect(task.writtenAction == "ansible.builtin.apt")
        #expect(task.args == ["update_cache": "yes", "cache_valid_time": "3600"])
    }

    @Test func importPlaybookVarsOverrideTagsAddAndConditionsApply() {
        let imported = playbook.plays[1]
        #expect(imported.keywords.vars["from_import"] == true)
        #expect(imported.keywords.vars["own"] == 1)
        #expect(imported.keywords.tags == ["imported", "own"])
        #expect(imported.keywords.when.map(\.expression) == ["run_imported"])
    }

    @Test func rolesAreLoadedWithParamsAndKeywords() throws {
        #expect(play.roles.map(\.name) == ["base", "web"])
        let web = play.roles[1]
        #expect(web.params == ["web_port": 8080])
        #expect(web.keywords.vars == ["site_name": "example"])
        #expect(web.keywords.when.map(\.expression) == ["web_enabled | bool"])
        #expect(web.keywords.tags == ["webrole"])
        #expect(web.keywords.become == .value(false))
    }

    @Test func roleRunsPutDependenciesFirstAndRunEachRoleOnce() {
        // base depends on common (with a parameter), web on common (without): different parameters,
        // so common runs twice; web's keywords reach its dependency.
        let runs = play.roleRuns
        #expect(runs.map(\.name) == ["common", "base", "common", "web"])
        #expect(runs[0].params == ["common_param": "from_base"])
        #expect(runs[2].keywords.tags == ["webrole"])
    }

    @Test func allHandlersListRoleHandlersBeforeThePlays() throws {
        let names = play.allHandlers.flatMap(\.allTasks).compactMap(\.name)
        #expect(names == ["reload base", "restart nginx", "restart web"])
    }
}
