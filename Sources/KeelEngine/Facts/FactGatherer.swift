import Foundation
import KeelBase
import KeelModules
import KeelTransport
import OrderedCollections

/// Ansible's facts, gathered without Python: the shell fragments of the selected subsets run as one
/// script (one round trip) and their output is read into `ansible_facts` under Ansible's names and
/// shapes. `gather_subset` picks the subsets (FactSelection), `filter` the first-level names.
enum FactGatherer {
    typealias Reader = @Sendable (FactOutput, inout OrderedDictionary<String, Value>) -> Void

    /// Each subset's fragment and the readers of its output, in the order facts are reported.
    static let parts: [(subset: String, script: String, readers: [Reader])] = [
        ("platform", FactScripts.platform, [SystemFacts.platform]),
        ("distribution", FactScripts.distribution, [SystemFacts.distribution]),
        ("user", FactScripts.user, [SystemFacts.user]),
        ("date_time", FactScripts.dateTime, [SystemFacts.dateTime]),
        ("dns", FactScripts.dns, [SystemFacts.dns]),
        ("pkg_mgr", FactScripts.pkgMgr, [SystemFacts.pkgMgr]),
        ("service_mgr", FactScripts.serviceMgr, [SystemFacts.serviceMgr]),
        ("selinux", FactScripts.selinux, [SystemFacts.selinux]),
        ("apparmor", FactScripts.apparmor, [SystemFacts.apparmor]),
        ("fips", FactScripts.fips, [SystemFacts.fips]),
        ("cmdline", FactScripts.cmdline, [SystemFacts.cmdline]),
        ("loadavg", FactScripts.loadavg, [SystemFacts.loadavg]),
        ("chroot", FactScripts.chroot, [SystemFacts.chroot]),
        ("python", FactScripts.python, [SystemFacts.python]),
        ("hardware", FactScripts.hardware, [HardwareFacts.memory, HardwareFacts.processors, HardwareFacts.uptimeAndDMI]),
        ("mounts", FactScripts.mounts, [HardwareFacts.mounts]),
        ("virtual", FactScripts.virtual, [VirtualFacts.virtual]),
        ("network", FactScripts.network, [NetworkFacts.network]),
        ("env", FactScripts.env, [SystemFacts.env]),   // last: its output runs to the end
    ]

    /// The script for a selection (empty when nothing is selected: no round trip then).
    static func script(for selection: FactSelection) -> String {
        parts.filter { selection.includes($0.subset) }.map(\.script).joined(separator: "\n")
    }

    /// Gathers the selected subsets and keeps the facts the filter admits. `requested` is the
    /// gather_subset as written, reported back as the `gather_subset` fact the way Ansible does.
    /// With `become`, the scripts run as the play becomes (some facts need root to read), as in Ansible.
    static func gather(on connection: any Connection, become: Become? = nil, selection: FactSelection = FactSelection(subsets: FactSelection.valid),
                       filter: FactFilter = FactFilter([]), requested: [String] = ["all"]) async throws -> OrderedDictionary<String, Value> {
        let script = script(for: selection)
        let output = script.isEmpty ? "" : try await connection.run(script, become: become).stdoutText
        var facts = parse(output, selection: selection)
        facts["gather_subset"] = .list(requested.map(Value.string))
        facts["module_setup"] = true
        return facts.filter { filter.admits($0.key) }
    }

    static func parse(_ text: String, selection: FactSelection) -> OrderedDictionary<String, Value> {
        let output = FactOutput(text)
        var facts = OrderedDictionary<String, Value>()
        for part in parts where selection.includes(part.subset) {
            for read in part.readers { read(output, &facts) }
        }
        return facts
    }
}
