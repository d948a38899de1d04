import Foundation
import Testing
import KeelBase
@testable import KeelModel

/// Parity with ansible-playbook: what Keel accepts, Ansible accepts, and the bad inputs Ansible rejects
/// while parsing are rejected by Keel too. Needs the oracle venv (bash scripts/python-oracles.sh).
@Suite struct PlaybookAnsibleOracleTests {
    /// `ansible-playbook --syntax-check`.
    func ansibleSyntaxCheck(_ playbook: String) throws -> (ok: Bool, output: String) {
        try runOracle(["ansible-playbook", "-i", "localhost,", "--syntax-check", playbook])
    }

    /// Runs a tool of the oracle venv with stub collections for the FQCN modules the fixtures use.
    func runOracle(_ command: [String]) throws -> (ok: Bool, output: String) {
        let venv = ProcessInfo.processInfo.environment["KEEL_VENV"] ?? "/var/cache/keel/venv"
        let tool = venv + "/bin/" + command[0]
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw KeelError("the Ansible oracle is missing at \(tool); run: bash scripts/python-oracles.sh")
        }
        var stubs: [String: String] = [:]
        for module in ["ansible/posix/firewalld", "containers/podman/podman_container",
                       "community/crypto/acme_certificate", "community/general/haproxy"] {
            let parts = module.split(separator: "/")
            stubs["ansible_collections/\(parts[0])/\(parts[1])/plugins/modules/\(parts[2]).py"] = "# stub\n"
        }
        let dir = try scratchDirectory(stubs)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = Array(command.dropFirst())
        var environment = ProcessInfo.processInfo.environment
        environment["ANSIBLE_COLLECTIONS_PATH"] = dir
        environment["ANSIBLE_NOCOLOR"] = "1"
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus == 0, String(decoding: data, as: UTF8.self))
    }

    /// Every task as ansible-core compiles the play (pre_tasks, roles, tasks, post_tasks): the module,
    /// its arguments, and all the conditions it inherits.
    static let dumpScript = #"""
    import json, sys
    from ansible import context
    from ansible.plugins.loader import init_plugin_loader
    from ansible.parsing.dataloader import DataLoader
    from ansible.playbook import Playbook
    from ansible.playbook.block import Block
    from ansible.vars.manager import VariableManager
    from ansible.inventory.manager import InventoryManager
    from ansible.module_utils.common.collections import ImmutableDict
    init_plugin_loader([])
    context.CLIARGS = ImmutableDict(tags=[], skip_tags=[], check=False, diff=False)
    loader = DataLoader()
    inventory = InventoryManager(loader=loader, sources=['localhost,'])
    playbook = Playbook.load(sys.argv[1], variable_manager=VariableManager(loader=loader, inventory=inventory), loader=loader)
    def plain(v):
        if isinstance(v, dict): return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, (list, tuple)): return [plain(x) for x in v]
        if v is None or isinstance(v, (bool, int, float)): return v
        return str(v)
    out = []
    def walk(items):
        for t in items:
            if isinstance(t, Block):
                walk(t.block); walk(t.rescue); walk(t.always)
            elif not t.implicit:
                action = t.action.removeprefix('ansible.builtin.').removeprefix('ansible.legacy.')
                out.append({'action': action, 'args': plain(t.args), 'when': [str(w) for w in t.when],
                            'tags': plain(t.tags), 'loop': plain(t.loop), 'loop_with': t.loop_with,
                            'register': t.register, 'notify': plain(t.notify), 'delegate_to': t.delegate_to})
    for play in playbook.get_plays():
        for block in play.compile():
            walk([block])
    print(json.dumps(out))
    """#

    /// The same walk over Keel's model.
    func keelTasks(_ playbook: Playbook) -> [Value] {
        var out: [Value] = []
        func walk(_ nodes: [TaskNode], _ parent: Keywords) {
            for node in nodes {
                switch node {
                case .block(let b):
                    let inner = parent.applied(to: b.keywords)
                    walk(b.block, inner); walk(b.rescue, inner); walk(b.always, inner)
                case .task(let t):
                    let k = parent.applied(to: t.keywords)
                    var loop: Value = .null
                    var loopWith: Value = .null
                    switch t.loop?.kind {
                    case .loop?: loop = t.loop!.items
                    case .with(let lookup)?: loop = t.loop!.items; loopWith = .string(lookup)
                    case nil: break
                    }
                    out.append(["action": .string(t.action), "args": .dict(t.args),
                                "when": .list(k.when.map { .string($0.expression) }),
                                "tags": .list(k.tags.map(Value.string)), "loop": loop, "loop_with": loopWith,
                                "register": t.register.map(Value.string) ?? .null,
                                "notify": t.notify.isEmpty ? .null : .list(t.notify.map(Value.string)),
                                "delegate_to": k.delegateTo.map(Value.string) ?? .null])
                }
            }
        }
        for play in playbook.plays {
            walk(play.preTasks, play.keywords)
            for role in play.roleRuns { walk(role.tasks, play.keywords.applied(to: role.keywords)) }
            walk(play.tasks, play.keywords)
            walk(play.postTasks, play.keywords)
        }
        return out
    }

    @Test func modulesArgumentsAndConditionsMatchAnsible() throws {
        let path = fixture("parity/parity.yml")
        let result = try runOracle(["python", "-c", Self.dumpScript, path])
        #expect(result.ok, "\(result.output)")
        let jsonLine = result.output.split(separator: "\n").last.map(String.init) ?? ""
        let ansible = try #require(try Value.parseJSON(jsonLine).listValue).map { entry -> Value in
            // Collection aliases mean the module they alias, as in Keel's catalog.
            guard case .dict(var d) = entry, case .string(let action)? = d["action"] else { return entry }
            d["action"] = .string(testCatalog.canonicalName(for: action) ?? action)
            return .dict(d)
        }
        let keel = keelTasks(try loader().loadPlaybook(at: path))
        #expect(ansible.count > 30)
        #expect(keel.count == ansible.count)
        for (mine, theirs) in zip(keel, ansible) {
            #expect(mine == theirs)
        }
    }

    @Test func theFixturePlaybookIsValidAnsible() throws {
        let result = try ansibleSyntaxCheck(fixture("site.yml"))
        #expect(result.ok, "\(result.output)")
        _ = try loader().loadPlaybook(at: fixture("site.yml"))
    }

    @Test(arguments: [
        "- hosts: all\n  tasks:\n    - debug: msg=hi\n      whn: x\n",
        "- hosts: all\n  tasks:\n    - lineinfle: {path: /x}\n",
        "- hosts: all\n  tasks:\n    - copy: {src: a, dest: b}\n      file: {path: b}\n",
        "- hosts: all\n  tasks:\n    - name: nothing\n",
        "- hosts: all\n  hots: x\n",
        "- hosts: all\n  roles: [missing_role]\n",
        "- hosts: all\n  tasks:\n    - import_tasks: missing.yml\n",
        "- import_playbook: missing.yml\n",
        "hosts: all\n",
        "- hosts: all\n  tasks: [a, b\n",
        "- hosts: all\n  tasks:\n    - include: x.yml\n",
        "- hosts: all\n  tasks:\n    - name: x\n      rescue:\n        - ping:\n",
        "- hosts: all\n  tasks:\n    - debug: msg=x\n      listen: foo\n",
        "- hosts: all\n  vars:\n    my-var: 1\n",
        "- hosts: all\n  tasks:\n    - debug: var=item\n      loop: [1]\n      with_items: [2]\n",
    ])
    func badInputRejectedByAnsibleIsRejectedByKeel(playbook: String) throws {
        let dir = try scratchDirectory(["play.yml": playbook])
        let ansible = try ansibleSyntaxCheck(dir + "/play.yml")
        #expect(!ansible.ok, "Ansible accepted it: \(ansible.output)")
        #expect(throws: KeelError.self) { try loader().loadPlaybook(at: dir + "/play.yml") }
    }
}
