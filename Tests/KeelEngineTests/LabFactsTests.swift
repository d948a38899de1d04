import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelReport
import KeelTestSupport
import Testing
@testable import KeelEngine

/// Fact gathering over SSH on lab hosts: the facts match what the host says itself, gather_subset and
/// filter select what Ansible's would, and a handful of facts agree with real ansible-core's setup.
@Suite("Facts on lab hosts") struct LabFactsTests {
    let lab = Lab()

    func inspect(_ host: LabHost, _ script: String) throws -> String {
        try lab.exec(host.name, script).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The value a `debug: var=ansible_facts` task named `name` showed for the host.
    func facts(_ outcome: PlaybookHarness.Outcome, _ name: String, _ host: LabHost) -> Facts {
        Facts(outcome.results(named: name).first { $0.host == host.name }?.values["ansible_facts"] ?? .dict([:]))
    }

    /// A host with a default route (the lab has none) so default_ipv4 has something to report.
    func hostWithRoute(_ flavor: LabFlavor, _ prefix: String) async throws -> LabHost {
        let host = try await LabFixture.shared.hosts(1, flavor: flavor, prefix: prefix)[0]
        _ = try lab.exec(host.name, "ip route replace default via 198.18.0.1 dev eth0")
        return host
    }

    @Test func gatheredFactsMatchWhatTheHostSays() async throws {
        let host = try await hostWithRoute(.light, "eng-facts")
        _ = try inspect(host, "rm -rf /srv/facts && mkdir -p /srv/facts")
        let h = try PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              tasks:
                - name: facts
                  debug: var=ansible_facts
                - name: summary
                  copy:
                    dest: /srv/facts/summary
                    content: |
                      {{ ansible_distribution }} {{ ansible_distribution_major_version }} {{ ansible_os_family }}
                      {{ ansible_default_ipv4.address }} {{ ansible_default_ipv4.interface }} {{ ansible_eth0.macaddress }}
                      {{ ansible_memtotal_mb }} {{ ansible_user_id }} {{ ansible_dns.nameservers | join(',') }}
            """])
        let before = try inspect(host, "date +%Y-%m-%d")
        let outcome = await h.play(inventory: ["inventory.ini"])
        let after = try inspect(host, "date +%Y-%m-%d")
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let f = facts(outcome, "facts", host)
        #expect(f["gather_subset"] == ["all"])
        // network
        let interfaces = try inspect(host, "ls /sys/class/net").split(separator: "\n").map(String.init)
        #expect(f.strings("interfaces").sorted() == interfaces.sorted())
        let address = try inspect(host, "ip -4 -o addr show dev eth0 | awk '{split($4,a,\"/\"); print a[1]}'")
        #expect(f["eth0"]?["ipv4"]?["address"]?.stringValue == address)
        #expect(f["eth0"]?["ipv4"]?["prefix"]?.stringValue == "15")
        #expect(f["eth0"]?["ipv4"]?["netmask"]?.stringValue == "255.254.0.0")
        #expect(f["eth0"]?["macaddress"]?.stringValue == (try inspect(host, "cat /sys/class/net/eth0/address")))
        #expect(f["eth0"]?["mtu"]?.intValue == Int(try inspect(host, "cat /sys/class/net/eth0/mtu")))
        #expect(f["eth0"]?["type"]?.stringValue == "ether")
        #expect(f["lo"]?["type"]?.stringValue == "loopback")
        #expect(f.strings("all_ipv4_addresses") == [address])
        let linkLocal = try inspect(host, "ip -6 -o addr show dev eth0 | awk '{split($4,a,\"/\"); print a[1]}'")
        #expect(f.strings("all_ipv6_addresses") == [linkLocal])
        #expect(f["default_ipv4"]?["address"]?.stringValue == address)
        #expect(f["default_ipv4"]?["gateway"]?.stringValue == "198.18.0.1")
        #expect(f["default_ipv4"]?["interface"]?.stringValue == "eth0")
        #expect(f["default_ipv6"]?.dictValue == [:], "no IPv6 default route in the lab")
        // hardware
        let memtotal = Int(try inspect(host, "awk '/^MemTotal:/ {print int($2/1024)}' /proc/meminfo"))
        #expect(f["memtotal_mb"]?.intValue == memtotal)
        #expect(f["memory_mb"]?["real"]?["total"]?.intValue == memtotal)
        #expect(f["swaptotal_mb"]?.intValue == Int(try inspect(host, "awk '/^SwapTotal:/ {print int($2/1024)}' /proc/meminfo")))
        #expect(f["processor_nproc"]?.intValue == Int(try inspect(host, "nproc")))
        #expect((f["processor_vcpus"]?.intValue ?? 0) >= 1)
        #expect(f.strings("processor").contains(try inspect(host, "sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n1")))
        #expect(f["mounts"]?.listValue != nil)
        // date_time, user, platform, distribution, dns, env
        #expect([before, after].contains(f["date_time"]?["date"]?.stringValue ?? ""))
        #expect(f["date_time"]?["tz"]?.stringValue == (try inspect(host, "date +%Z")))
        #expect(f["user_id"]?.stringValue == "root")
        #expect(f["user_uid"]?.intValue == 0)
        #expect(f["user_dir"]?.stringValue == "/root")
        #expect(f["user_shell"]?.stringValue == (try inspect(host, "getent passwd root | cut -d: -f7")))
        #expect(f["kernel"]?.stringValue == (try inspect(host, "uname -r")))
        #expect(f["architecture"]?.stringValue == (try inspect(host, "uname -m")))
        #expect(f["hostname"]?.stringValue == (try inspect(host, "uname -n")).split(separator: ".").first.map(String.init))
        #expect(f["distribution"]?.stringValue == "Debian")
        #expect(f["os_family"]?.stringValue == "Debian")
        #expect(f["distribution_version"]?.stringValue == (try inspect(host, "cat /etc/debian_version")))
        #expect(f["pkg_mgr"]?.stringValue == "apt")
        #expect(f["dns"]?["nameservers"] == ["127.0.0.1"])
        #expect(f["env"]?["HOME"]?.stringValue == "/root")
        #expect(f["selinux"]?["status"]?.stringValue == "disabled")
        #expect(["enabled", "disabled"].contains(f["apparmor"]?["status"]?.stringValue ?? ""))
        #expect(f["fips"] == false)
        #expect(f["virtualization_role"]?.stringValue != nil)
        // the facts in use on the host; a second run changes nothing
        let expected = "Debian \(f["distribution_major_version"]?.stringValue ?? "") Debian\n\(address) eth0 \(f["eth0"]?["macaddress"]?.stringValue ?? "")\n"
            + "\(memtotal ?? 0) root 127.0.0.1"
        #expect(try inspect(host, "cat /srv/facts/summary") == expected)
        #expect(outcome.recap[host.name]?[.ok] == 2)
        #expect(outcome.recap[host.name]?[.changed] == 1)
        let second = await h.play(inventory: ["inventory.ini"])
        #expect(second.recap[host.name]?[.changed] == 0)
        #expect(second.recap[host.name]?[.failed] == 0)
    }

    @Test func gatherSubsetNegationAndFilterSelectLikeAnsible() async throws {
        let host = try await hostWithRoute(.light, "eng-subsets")
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_facts: false
              tasks:
                - {name: only min, setup: {gather_subset: ['!all']}}
                - {name: min, debug: var=ansible_facts}
                - meta: clear_facts
                - {name: only network, setup: {gather_subset: '!all,!min,network'}}
                - {name: network, debug: var=ansible_facts}
                - meta: clear_facts
                - {name: all but hardware, setup: {gather_subset: ['all', '!hardware']}}
                - {name: no hardware, debug: var=ansible_facts}
                - meta: clear_facts
                - {name: not hardware alone, setup: {gather_subset: '!hardware'}}
                - {name: just min, debug: var=ansible_facts}
                - meta: clear_facts
                - {name: memory only, setup: {filter: ['ansible_*_mb']}}
                - {name: filtered, debug: var=ansible_facts}
                - meta: clear_facts
                - {name: nothing, setup: {gather_subset: ['!all', '!min']}}
                - {name: empty, debug: var=ansible_facts}
                - name: a subset that does not exist
                  setup: {gather_subset: [bogus]}
                  ignore_errors: true
                - name: registered setup
                  setup: {gather_subset: '!all,!min,network'}
                  register: gathered
                - {name: from register, debug: {msg: "{{ gathered.ansible_facts.interfaces | sort | join(',') }}"}}
                - meta: clear_facts
            - hosts: lab
              gather_subset: [date_time, '!min']
              tasks:
                - {name: play subset, debug: var=ansible_facts}
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let min = facts(outcome, "min", host)
        #expect(min["distribution"] != nil && min["user_id"] != nil && min["date_time"] != nil && min["env"] != nil && min["dns"] != nil)
        #expect(min["interfaces"] == nil && min["memtotal_mb"] == nil && min["virtualization_type"] == nil && min["mounts"] == nil)
        #expect(min["gather_subset"] == ["!all"])
        let network = facts(outcome, "network", host)
        #expect(network["interfaces"] != nil && network["eth0"] != nil && network["default_ipv4"] != nil)
        #expect(network["distribution"] == nil && network["env"] == nil && network["memtotal_mb"] == nil)
        let noHardware = facts(outcome, "no hardware", host)
        #expect(noHardware["interfaces"] != nil && noHardware["distribution"] != nil && noHardware["virtualization_type"] != nil)
        #expect(noHardware["memtotal_mb"] == nil && noHardware["processor"] == nil && noHardware["mounts"] == nil)
        // As in ansible-core, a negation alone starts from min: `!hardware` leaves only min.
        let justMin = facts(outcome, "just min", host)
        #expect(justMin["distribution"] != nil && justMin["interfaces"] == nil && justMin["memtotal_mb"] == nil)
        let filtered = facts(outcome, "filtered", host)
        #expect(Set(filtered.keys) == ["memtotal_mb", "memfree_mb", "swaptotal_mb", "swapfree_mb", "memory_mb"], "\(filtered.keys)")
        #expect(facts(outcome, "empty", host).keys.sorted() == ["gather_subset", "module_setup"])
        let bogus = outcome.results(named: "a subset that does not exist").first
        #expect(bogus?.status == .ignored)
        #expect(bogus?.message?.contains("bogus") == true, "\(bogus?.message ?? "")")
        let play = facts(outcome, "play subset", host)
        #expect(play["date_time"] != nil && play["distribution"] == nil && play["interfaces"] == nil)
        #expect(outcome.recap[host.name]?[.ignored] == 1)
        #expect(outcome.recap[host.name]?[.failed] == 0)
        // As in Ansible, a registered setup result holds the facts it gathered.
        let registered = facts(outcome, "registered setup", host)
        #expect(registered["interfaces"] != nil && registered["distribution"] == nil)
        let fromRegister = outcome.results(named: "from register").first { $0.host == host.name }?.values["msg"]?.stringValue
        #expect(fromRegister == (registered["interfaces"]?.listValue?.compactMap(\.stringValue).sorted().joined(separator: ",")))
        #expect(fromRegister?.contains("eth0") == true, "\(fromRegister ?? "nil")")
    }

    @Test func mountsCarryTheirSizes() async throws {
        let host = try await hostWithRoute(.systemd, "eng-sysfacts")
        let outcome = try await PlaybookHarness(files: ["inventory.ini": LabInventory.ini([host]), "site.yml": """
            - hosts: lab
              gather_subset: ['!all', '!min', hardware]
              tasks:
                - {name: facts, debug: var=ansible_facts}
            """]).play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let mounts = facts(outcome, "facts", host)["mounts"]?.listValue ?? []
        let containers = mounts.first { $0["mount"]?.stringValue == "/var/lib/containers" }
        #expect(containers?["device"]?.stringValue == "/dev/vda", "\(mounts)")
        let sizes = try inspect(host, "stat -f -c '%S %b %a' /var/lib/containers").split(separator: " ").compactMap { Int($0) }
        #expect(containers?["size_total"]?.intValue == sizes[0] * sizes[1])
        #expect(containers?["block_total"]?.intValue == sizes[1])
        #expect((containers?["size_available"]?.intValue ?? -1) >= 0)
        #expect(outcome.recap[host.name]?[.ok] == 2)
    }

    @Test(arguments: [LabFlavor.light, .systemd])
    func keyFactsAgreeWithAnsibleSetup(flavor: LabFlavor) async throws {
        let host = try await hostWithRoute(flavor, flavor == .systemd ? "eng-sysfacts" : "eng-facts")
        let h = try PlaybookHarness(files: [
            "inventory.ini": LabInventory.ini([host], hostVars: [host.name: "ansible_python_interpreter=/usr/bin/python3"]),
            "site.yml": """
                - hosts: lab
                  tasks:
                    - {name: facts, debug: var=ansible_facts}
                """,
        ])
        let outcome = await h.play(inventory: ["inventory.ini"])
        #expect(outcome.status == .ok, "\(outcome.failures)")
        let keel = facts(outcome, "facts", host)
        let ansible = Facts(try AnsibleSetup.run(host: host.name, inventory: h.directory + "/inventory.ini"))
        for name in ["architecture", "distribution", "distribution_version", "distribution_major_version", "distribution_release", "os_family",
                     "memtotal_mb", "processor_vcpus", "processor_count", "processor_cores", "processor_nproc", "user_id", "user_uid", "user_dir",
                     "user_shell", "kernel", "system", "machine", "pkg_mgr", "service_mgr", "hostname", "fips", "swaptotal_mb"] {
            #expect(keel[name] == ansible["ansible_" + name], "\(name): keel \(keel[name]?.jsonString() ?? "nil"), ansible \(ansible["ansible_" + name]?.jsonString() ?? "nil")")
        }
        #expect(keel.strings("interfaces").sorted() == ansible.strings("ansible_interfaces").sorted())
        #expect(keel.strings("all_ipv4_addresses").sorted() == ansible.strings("ansible_all_ipv4_addresses").sorted())
        for key in ["address", "interface", "gateway", "netmask", "network", "prefix", "macaddress", "mtu", "type"] {
            #expect(keel["default_ipv4"]?[key] == ansible["ansible_default_ipv4"]?[key], "default_ipv4.\(key)")
        }
        for key in ["macaddress", "mtu", "type", "active"] {
            #expect(keel["eth0"]?[key] == ansible["ansible_eth0"]?[key], "eth0.\(key)")
        }
        #expect(keel["dns"]?["nameservers"] == ansible["ansible_dns"]?["nameservers"])
        #expect(keel["date_time"]?["tz"] == ansible["ansible_date_time"]?["tz"])
        // Keel gathered first: across midnight the dates differ by the day that began in between.
        let keelDate = keel["date_time"], ansibleDate = ansible["ansible_date_time"]
        #expect(keelDate?["date"] == ansibleDate?["date"] || (keelDate?["hour"] == "23" && ansibleDate?["hour"] == "00"),
                "keel \(keelDate?.jsonString() ?? "nil"), ansible \(ansibleDate?.jsonString() ?? "nil")")
        #expect(keel["virtualization_type"] == ansible["ansible_virtualization_type"])
        #expect(keel["virtualization_role"] == ansible["ansible_virtualization_role"])
        #expect(keel["is_chroot"] == ansible["ansible_is_chroot"])
        // The python fact (roles read ansible_facts.python.version.minor): the interpreter the inventory names.
        #expect(keel["python"] == ansible["ansible_python"], "keel \(keel["python"]?.jsonString() ?? "nil"), ansible \(ansible["ansible_python"]?.jsonString() ?? "nil")")
        #expect(keel["python_version"] == ansible["ansible_python_version"])
        #expect(keel["apparmor"] == ansible["ansible_apparmor"])
        let keelMounts = Set((keel["mounts"]?.listValue ?? []).compactMap { $0["mount"]?.stringValue })
        let ansibleMounts = Set((ansible["ansible_mounts"]?.listValue ?? []).compactMap { $0["mount"]?.stringValue })
        #expect(keelMounts == ansibleMounts)
    }

    @Test func theDocumentedChoicesAreTheOnesAccepted() throws {
        let doc = try #require(GatherFactsAction.spec.options.first { $0.name == "gather_subset" }?.help)
        for subset in FactSelection.gathered + FactSelection.accepted + ["all", "min"] { #expect(doc.contains(subset)) }
        #expect(throws: KeelError.self) { try FactSelection(["hardwar"]) }
        #expect(try FactSelection(["!all"]).subsets == FactSelection.minimal)
        #expect(try FactSelection(["!all", "!min"]).subsets.isEmpty)
        #expect(try FactSelection(["!all", "!min", "network"]).subsets == ["network"])
        #expect(try FactSelection(["!hardware"]).subsets == FactSelection.minimal)
        #expect(try FactSelection(["!min"]).subsets.isEmpty)
        #expect(try FactSelection(["all", "!hardware"]).subsets == FactSelection.valid.subtracting(["hardware", "mounts", "devices", "dmi"]))
        #expect(try FactSelection(["all", "!hardware", "mounts"]).subsets.contains("mounts"))
        #expect(try FactSelection(["network,virtual"]).subsets == FactSelection.minimal.union(["network", "virtual"]))
    }
}

/// Fact access for assertions.
struct Facts {
    let value: Value
    init(_ value: Value) { self.value = value }
    subscript(_ key: String) -> Value? { value[key] }
    var keys: [String] { value.dictValue.map { Array($0.keys) } ?? [] }
    func strings(_ key: String) -> [String] { value[key]?.listValue?.compactMap(\.stringValue) ?? [] }
}

/// Real ansible-core's setup module against a lab host over SSH (`ansible HOST -m setup`).
enum AnsibleSetup {
    static func run(host: String, inventory: String) throws -> Value {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("keel-ansible-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: home) }
        let (_, text) = try AnsibleTool.run("ansible", [host, "-i", inventory, "-m", "setup"], home: home,
                                            environment: ["ANSIBLE_HOST_KEY_CHECKING": "True"])
        let result = try AnsibleTool.adHocResult(text)
        guard let facts = result["ansible_facts"], facts.dictValue != nil else { throw KeelError("ansible setup returned no facts: \(text.prefix(800))") }
        return facts
    }
}
