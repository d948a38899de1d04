import Foundation
import KeelBase
import KeelTransport
import Testing
@testable import KeelModules

/// dnf has no lab host (no Fedora/RHEL here): these check only what it plans from an observed state.
@Suite("dnf planning (no dnf host available)") struct DnfPlanTests {
    let host = HostContext(name: "rpm-host", connection: LocalConnection())

    func arguments(_ names: [String], _ state: String) -> DnfModule.Arguments {
        try! DnfModule.arguments(["name": .list(names.map(Value.string)), "state": .string(state)])
    }

    @Test func presentInstallsOnlyMissingPackagesInOneTransaction() throws {
        let state = DnfModule.State(installed: ["git": "2.43.0-1.fc40.x86_64"], upgrades: [:])
        let plan = try DnfModule().plan(arguments(["git", "nginx", "rsync"], "present"), observed: state, on: host)
        #expect(plan.steps.map(\.action) == [.install(["nginx", "rsync"])])
        #expect(try DnfModule().plan(arguments(["git"], "installed"), observed: state, on: host).isEmpty)
    }

    @Test func latestUpgradesWhatCheckUpdateListed() throws {
        let state = DnfModule.State(installed: ["git": "2.43.0-1.fc40.x86_64", "curl": "8.6.0-1.fc40.x86_64"], upgrades: ["git": "2.44.0-1.fc40"])
        let plan = try DnfModule().plan(arguments(["git", "curl"], "latest"), observed: state, on: host)
        #expect(plan.steps.map(\.action) == [.upgrade(["git"])])
        #expect(plan.diffs.first?.after == "git: 2.44.0-1.fc40\n")
    }

    @Test func absentRemovesOnlyInstalledPackages() throws {
        let state = DnfModule.State(installed: ["telnet": "0.17-90.fc40.x86_64"], upgrades: [:])
        #expect(try DnfModule().plan(arguments(["telnet", "rsh"], "absent"), observed: state, on: host).steps.map(\.action) == [.remove(["telnet"])])
    }
}
