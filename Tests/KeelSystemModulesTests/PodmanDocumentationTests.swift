import KeelBase
import KeelModules
import Testing

/// `keel doc` for every podman module ends with its differences from containers.podman.
@Suite("podman modules document their differences from containers.podman") struct PodmanDocumentationTests {
    static let modules: [any Module.Type] = [
        PodmanContainerModule.self, PodmanImageModule.self, PodmanImageCleanupModule.self, PodmanImageTagModule.self,
        PodmanNetworkModule.self, PodmanVolumeModule.self, PodmanPodModule.self, PodmanLoginModule.self,
    ]

    @Test func everyPodmanModuleListsItsDifferences() {
        let registered = StandardModules.all.map { $0.name }.filter { $0.hasPrefix("podman_") }.sorted()
        #expect(registered == Self.modules.map { $0.name }.sorted(), "a podman module is missing from this test")
        for module in Self.modules {
            let page = ModuleDocRenderer.render(ModuleRunner(module))
            guard let differences = page.components(separatedBy: "DIFFERENCES FROM ANSIBLE").dropFirst().first else {
                Issue.record("keel doc \(module.name) has no differences section"); continue
            }
            #expect(differences.contains("containers.podman"), "keel doc \(module.name): the differences do not name containers.podman")
        }
    }
}
