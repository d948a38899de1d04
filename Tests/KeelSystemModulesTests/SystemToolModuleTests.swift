import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// alternatives, debconf and pip on a light lab host (Debian tools of this machine), checked with the
/// tools themselves and against Ansible's modules on the same host.
@Suite("alternatives, debconf and pip modules on a lab host", .serialized) struct SystemToolModuleTests {
    func host() async throws -> SystemLabHost { try await SystemLabHost.make("systools") }

    @Test func alternativesInstallSelectAutoAndRemove() async throws {
        let host = try await host()
        try host.inspect("update-alternatives --remove-all keeltool >/dev/null 2>&1; update-alternatives --remove-all keeltool2 >/dev/null 2>&1; true")
        let display = "update-alternatives --display keeltool 2>&1; readlink /usr/local/bin/keeltool; true"
        let result = try await host.converges(AlternativesModule.self, ["name": "keeltool", "path": "/bin/true", "link": "/usr/local/bin/keeltool", "priority": 10],
                                              fingerprint: display)
        #expect(result.values["msg"] == "Install alternative '/bin/true' for 'keeltool'. Set alternative '/bin/true' for 'keeltool'.")
        #expect(try host.inspect(display).contains("keeltool - manual mode"))
        #expect(try host.inspect("readlink /etc/alternatives/keeltool") == "/bin/true\n")
        // Ansible agrees that nothing is left to do.
        let ansible = try AnsibleLabOracle.run("community.general.alternatives", ["name": "keeltool", "path": "/bin/true", "link": "/usr/local/bin/keeltool", "priority": 10], on: host)
        #expect(!ansible.failed && !ansible.changed, "\(ansible.result)")
        // A second alternative with a higher priority, then back to auto: the link follows the priority.
        try await host.converges(AlternativesModule.self, ["name": "keeltool", "path": "/bin/false", "priority": 20, "state": "present"], fingerprint: display)
        #expect(try host.inspect("readlink /etc/alternatives/keeltool") == "/bin/true\n")
        try await host.converges(AlternativesModule.self, ["name": "keeltool", "path": "/bin/false", "state": "auto"], fingerprint: display)
        #expect(try host.inspect("readlink /etc/alternatives/keeltool") == "/bin/false\n")
        try await host.converges(AlternativesModule.self, ["name": "keeltool", "path": "/bin/false", "state": "absent"], fingerprint: display)
        #expect(try host.inspect("readlink /etc/alternatives/keeltool") == "/bin/true\n")
        // Ansible's run on a fresh group leaves the same display as Keel's.
        let args: OrderedDictionary<String, Value> = ["path": "/bin/true", "link": "/usr/local/bin/keeltool2", "priority": 10]
        let theirs = try AnsibleLabOracle.run("community.general.alternatives", args.merging(["name": "keeltool2"]) { $1 }, on: host)
        #expect(theirs.changed)
        let ansibleDisplay = try host.inspect("update-alternatives --display keeltool2")
        try host.inspect("update-alternatives --remove-all keeltool2")
        _ = try await host.run(AlternativesModule.self, args.merging(["name": "keeltool2"]) { $1 })
        #expect(try host.inspect("update-alternatives --display keeltool2") == ansibleDisplay)
        await #expect { try await host.run(AlternativesModule.self, ["name": "keeltool", "path": "/nonexistent/tool", "link": "/usr/local/bin/keeltool"]) } throws: {
            "\($0)".contains("Specified path /nonexistent/tool does not exist")
        }
    }

    @Test func alternativesDisplayIsReadLikeAnsible() {
        let display = AlternativesDisplay.parse("""
            pager - manual mode
              link best version is /usr/bin/less
              link currently points to /bin/more
              link pager is /usr/bin/pager
              slave pager.1.gz is /usr/share/man/man1/pager.1.gz
            /bin/more - priority 50
              slave pager.1.gz: /usr/share/man/man1/more.1.gz
            /usr/bin/less - priority 77
              slave pager.1.gz: (null)
            """, declaredFollowers: nil)
        #expect(display.mode == "manual")
        #expect(display.currentPath == "/bin/more")
        #expect(display.currentLink == "/usr/bin/pager")
        #expect(display.alternatives["/bin/more"] == .init(priority: 50, family: "", followers: [.init(name: "pager.1.gz", path: "/usr/share/man/man1/more.1.gz", link: "/usr/share/man/man1/pager.1.gz")]))
        #expect(display.alternatives["/usr/bin/less"]?.followers == [])
    }

    @Test func debconfSetsAnAnswerOnce() async throws {
        let host = try await host()
        try host.inspect("echo 'tzdata tzdata/Areas select Etc' | debconf-set-selections")
        let fingerprint = "debconf-show tzdata | grep 'tzdata/Areas:'"
        let args: OrderedDictionary<String, Value> = ["name": "tzdata", "question": "tzdata/Areas", "vtype": "select", "value": "Europe"]
        let result = try await host.converges(DebconfModule.self, args, fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "* tzdata/Areas: Europe\n")
        #expect(result.values["previous"] == ["tzdata/Areas": "Etc"])
        #expect(result.values["current"] == ["tzdata/Areas": "Europe"])
        let ansible = try AnsibleLabOracle.run("ansible.builtin.debconf", args, on: host)
        #expect(!ansible.failed && !ansible.changed, "\(ansible.result)")
        let ansibleCheck = try AnsibleLabOracle.run("ansible.builtin.debconf", args.merging(["value": "America"]) { $1 }, on: host, check: true)
        #expect(ansibleCheck.changed)
        #expect(try await host.run(DebconfModule.self, args.merging(["value": "America"]) { $1 }, .check).changed)
        // Only the package: its answers, nothing changes.
        let listed = try await host.run(DebconfModule.self, ["name": "tzdata"])
        #expect(!listed.changed && listed.values["current"]?["tzdata/Areas"] == "Europe")
        await #expect { try await host.run(DebconfModule.self, ["name": "tzdata", "question": "tzdata/Areas"]) } throws: { "\($0)".contains("required together") }
    }

    @Test func debconfComparesBooleansAndMultiselectAsAnsible() throws {
        let module = DebconfModule()
        let context = HostContext(name: "plan", connection: ControllerOnlyConnection(hostName: "plan", module: "test"))
        let state = DebconfModule.State(answers: ["p/flag": "True", "p/list": "b, a"], password: nil)
        func plan(_ args: OrderedDictionary<String, Value>) throws -> Plan<DebconfModule.Step> {
            try module.plan(try DebconfModule.arguments(args.merging(["name": "p"]) { $1 }), observed: state, on: context)
        }
        #expect(try plan(["question": "p/flag", "vtype": "boolean", "value": true]).isEmpty)
        #expect(try plan(["question": "p/list", "vtype": "multiselect", "value": ["a", "b"]]).isEmpty)
        let changed = try plan(["question": "p/list", "vtype": "multiselect", "value": ["a", "c"]])
        #expect(changed.steps.first?.line == "p p/list multiselect a, c")
        let secret = try plan(["question": "p/pw", "vtype": "password", "value": "s3cret"])
        #expect(secret.diffs.first?.redacted == true)
        #expect(!"\(secret.describe())".contains("s3cret"))
    }

    @Test func pipInstallsIntoANewVirtualenvAndUpgrades() async throws {
        let host = try await host()
        // Two versions of a tiny wheel, built on the host (there is no index in the lab).
        try host.inspect("""
            rm -rf /root/keel-venv /root/wheels; mkdir -p /root/wheels
            python3 - <<'X'
            import zipfile
            for v in ("1.0", "2.0"):
                name = f"keelpkg-{v}"
                with zipfile.ZipFile(f"/root/wheels/keelpkg-{v}-py3-none-any.whl", "w") as z:
                    z.writestr("keelpkg/__init__.py", f"VERSION = '{v}'\\n")
                    z.writestr(f"{name}.dist-info/METADATA", f"Metadata-Version: 2.1\\nName: keelpkg\\nVersion: {v}\\n")
                    z.writestr(f"{name}.dist-info/WHEEL", "Wheel-Version: 1.0\\nGenerator: keel\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n")
                    z.writestr(f"{name}.dist-info/RECORD", "")
            X
            """)
        let fingerprint = "/root/keel-venv/bin/pip list --format=freeze 2>/dev/null | grep -i keelpkg; true"
        let base: OrderedDictionary<String, Value> = ["virtualenv": "/root/keel-venv", "virtualenv_command": "python3 -m venv",
                                                      "extra_args": "--no-index --find-links /root/wheels"]
        try await host.converges(PipModule.self, base.merging(["name": ["keelpkg==1.0"]]) { $1 }, fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "keelpkg==1.0\n")
        // A range that 1.0 satisfies needs nothing; Ansible agrees.
        #expect(try await host.run(PipModule.self, base.merging(["name": ["keelpkg>=1,<3"]]) { $1 }, .check).changed == false)
        let ansible = try AnsibleLabOracle.run("ansible.builtin.pip", base.merging(["name": ["keelpkg>=1,<3"]]) { $1 }, on: host)
        #expect(!ansible.failed && !ansible.changed, "\(ansible.result)")
        try await host.converges(PipModule.self, base.merging(["name": ["keelpkg"], "state": "latest"]) { $1 }, fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "keelpkg==2.0\n")
        // pip uninstall takes no index options: Ansible passes extra_args on and pip refuses them, so does Keel.
        #expect(try await host.run(PipModule.self, base.merging(["name": ["keelpkg"], "state": "absent"]) { $1 }).failed)
        try await host.converges(PipModule.self, ["virtualenv": "/root/keel-venv", "name": ["keelpkg"], "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
        await #expect { try await host.run(PipModule.self, base.merging(["name": ["a", "b"], "version": "1"]) { $1 }) } throws: { "\($0)".contains("ambiguous") }
    }

    @Test func pythonRequirementsCompareLikePackaging() {
        #expect(PythonRequirement("Flask_Login>=0.6").projectName == "flask-login")
        #expect(PythonRequirement("flask>=2,<3").isSatisfied(by: "2.3.1"))
        #expect(!PythonRequirement("flask>=2,<3").isSatisfied(by: "3.0"))
        #expect(PythonRequirement("x~=1.4.2").isSatisfied(by: "1.4.9"))
        #expect(!PythonRequirement("x~=1.4.2").isSatisfied(by: "1.5"))
        #expect(PythonRequirement("x==1.2.*").isSatisfied(by: "1.2.7"))
        #expect(PythonRequirement("x<2").isSatisfied(by: "2.0rc1"))
        #expect(PythonRequirement("x==1.0").isSatisfied(by: "1.0.0"))
        #expect(PythonRequirement("x", version: "1.1").written == "x==1.1")
        #expect(PythonRequirement("git+https://example.test/x.git").projectName == nil)
        #expect(PythonRequirement.recover(["django>1.11.1", "<1.11.3", "ipaddress"]) == ["django>1.11.1,<1.11.3", "ipaddress"])
    }
}

/// modprobe: this machine's kernel has no loadable modules (/proc/modules is missing), so the runtime part
/// is checked to fail clearly, and the persistence decisions are checked on observed states.
@Suite("modprobe module") struct ModprobeModuleTests {
    let context = HostContext(name: "plan", connection: ControllerOnlyConnection(hostName: "plan", module: "test"))

    func plan(_ args: OrderedDictionary<String, Value>, _ state: ModprobeModule.State) throws -> Plan<ModprobeModule.Step> {
        try ModprobeModule().plan(try ModprobeModule.arguments(args), observed: state, on: context)
    }

    @Test func persistsTheModuleAndItsOptions() throws {
        let state = ModprobeModule.State(loaded: true, loadFiles: ["/etc/modules-load.d/other.conf": "loop\n"],
                                         optionFiles: ["/etc/modprobe.d/old.conf": "options dummy numdummies=1\nblacklist x\n"])
        let p = try plan(["name": "dummy", "params": "numdummies=2", "persistent": "present"], state)
        #expect(p.steps == [.write(path: "/etc/modules-load.d/dummy.conf", content: "dummy\n"),
                            .write(path: "/etc/modprobe.d/old.conf", content: "#options dummy numdummies=1\n\nblacklist x\n"),
                            .write(path: "/etc/modprobe.d/dummy.conf", content: "options dummy numdummies=2\n")])
        let converged = ModprobeModule.State(loaded: true, loadFiles: ["/etc/modules-load.d/dummy.conf": "dummy\n"],
                                             optionFiles: ["/etc/modprobe.d/dummy.conf": "options dummy numdummies=2\n"])
        #expect(try plan(["name": "dummy", "params": "numdummies=2", "persistent": "present"], converged).isEmpty)
        let removed = try plan(["name": "dummy", "persistent": "absent", "state": "absent"], converged)
        #expect(removed.steps == [.unload(name: "dummy"), .write(path: "/etc/modules-load.d/dummy.conf", content: "#dummy\n"),
                                  .write(path: "/etc/modprobe.d/dummy.conf", content: "#options dummy numdummies=2\n")])
    }

    @Test func loadsOnlyWhatIsNotLoaded() throws {
        #expect(try plan(["name": "loop"], .init(loaded: true)).isEmpty)
        #expect(try plan(["name": "loop", "params": "max_loop=8"], .init(loaded: false)).steps == [.load(name: "loop", params: "max_loop=8")])
        #expect(throws: (any Error).self) { try plan(["name": "nosuch"], .init(loaded: false, dryRunError: "modprobe: FATAL: Module nosuch not found")) }
    }

    @Test func failsWhereTheKernelHasNoModules() async throws {
        let host = try await SystemLabHost.make("systools")
        guard (try? host.inspect("test -r /proc/modules")) == nil else { return }   // a kernel with modules: nothing to show here
        await #expect { try await host.run(ModprobeModule.self, ["name": "dummy"]) } throws: { "\($0)".contains("cannot read /proc/modules") }
    }
}
