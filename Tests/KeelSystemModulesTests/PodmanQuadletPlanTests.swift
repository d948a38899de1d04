import KeelBase
@testable import KeelModules
import OrderedCollections
import Testing

/// podman_container's `systemd:` on a podman with quadlet (4.4 and later), planned from an observation
/// made up here: no lab host has such a podman (Debian 12 ships 4.3.1), so what a real generator does with
/// the file is not tested; what Keel decides and writes is.
@Suite("podman_container quadlet plans (podman 4.4 and later)") struct PodmanQuadletPlanTests {
    typealias Module = PodmanContainerModule

    static func state(container: Value? = nil, imageID: String? = "sha-1", quadlet: PodmanQuadletObserved? = nil,
                      unit: PodmanUnitObserved? = nil, supported: Bool = true) -> Module.State {
        Module.State(container: container.map { PodmanContainerObserved(inspect: $0, image: nil) }, imageID: imageID, envFiles: [:],
                     podID: nil, portsOfOthers: [:], unit: unit, quadletSupported: supported, quadlet: quadlet, uid: 0, home: "/root")
    }

    static func plan(_ arguments: OrderedDictionary<String, Value>, _ state: Module.State) throws -> Plan<Module.Step> {
        var planner = PodmanContainerPlanner(arguments: try Module.arguments(arguments), observed: state, host: "h")
        return try planner.plan()
    }

    static let arguments: OrderedDictionary<String, Value> = [
        "name": "web", "image": "localhost/web:1", "publish": ["8080:80"], "env": ["MODE": "blue green"], "systemd": ["restart_sec": 2],
    ]

    static let running: Value = .dict(["Id": "c1", "Image": "sha-1", "ImageName": "localhost/web:1", "Name": "web",
                                       "State": .dict(["Status": "running", "Running": true]),
                                       "Config": .dict(["Env": ["MODE=blue green"]]),
                                       "HostConfig": .dict(["PortBindings": .dict(["80/tcp": [.dict(["HostIp": "", "HostPort": "8080"])]])])])

    @Test func aNewServiceIsAQuadletFileAReloadAndAStart() throws {
        let plan = try Self.plan(Self.arguments, Self.state())
        #expect(plan.steps.map(\.description) == [
            "write /etc/containers/systemd/web.container", "systemctl daemon-reload", "systemctl start web.service",
            plan.steps.last!.description,
        ])
        guard case .waitUntilReady = plan.steps.last?.action else { Issue.record("no health gate: \(plan.steps)"); return }
        guard case .writeFile(_, let content, _) = plan.steps[0].action else { Issue.record("\(plan.steps)"); return }
        #expect(content.contains("\n[Container]\nContainerName=web\nEnvironment='MODE=blue green'\nImage=localhost/web:1\nPublishPort=8080:80\n[Service]\nRestart=on-failure\nRestartSec=2\nTimeoutStopSec=40\n[Install]\nWantedBy=multi-user.target default.target\n"),
                "\(content)")
        #expect(!plan.steps.contains { $0.description.contains("/etc/systemd/system") })
        #expect(plan.values["service"] == "web.service")
    }

    /// The `[Container]` section of a service is the one `state: quadlet` writes, which the lab test
    /// compares with containers.podman's.
    @Test func theServiceCarriesTheSameContainerSectionAsStateQuadlet() throws {
        var quadletArguments = Self.arguments
        quadletArguments["state"] = "quadlet"
        quadletArguments["systemd"] = nil
        let a = try Module.arguments(Self.arguments)
        let service = try PodmanContainerQuadlet.service(a, unit: try #require(try PodmanSystemdUnit(option: a.systemd, container: "web", executable: "podman")))
        let file = try PodmanContainerQuadlet.file(try Module.arguments(quadletArguments))
        #expect(service.sections.first { $0.name == "Container" } == file.sections.first)
    }

    /// An existing pod is joined with `--pod` (quadlet's `Pod=` names a .pod unit), and `%` is no specifier.
    @Test func theServiceJoinsAPodByNameAndEscapesPercent() throws {
        var arguments = Self.arguments
        arguments["pod"] = "app"
        arguments["env"] = ["RATIO": "50%"]
        let a = try Module.arguments(arguments)
        let service = try PodmanContainerQuadlet.service(a, unit: try #require(try PodmanSystemdUnit(option: a.systemd, container: "web", executable: "podman")))
        let container = try #require(service.sections.first { $0.name == "Container" }).entries.map { "\($0.key)=\($0.value)" }
        #expect(container.contains("PodmanArgs=--pod app") && !container.contains { $0.hasPrefix("Pod=") })
        #expect(container.contains("Environment=RATIO=50%%"))
        #expect(try PodmanContainerQuadlet.file(a).content.contains("\nPod=app\n"))
    }

    @Test func aConvergedServiceIsOk() throws {
        let content = try PodmanContainerQuadlet.service(try Module.arguments(Self.arguments),
                                                         unit: try #require(try PodmanSystemdUnit(option: .dict(["restart_sec": 2]), container: "web", executable: "podman"))).content
        let plan = try Self.plan(Self.arguments, Self.state(container: Self.running, quadlet: PodmanQuadletObserved(content: content, mode: "644", active: true)))
        #expect(plan.steps.isEmpty, "\(plan.steps)")
        // A comment is no difference (containers.podman compares the same way).
        let commented = try Self.plan(Self.arguments, Self.state(container: Self.running, quadlet: PodmanQuadletObserved(content: "# mine\n" + content, mode: "644", active: true)))
        #expect(commented.steps.isEmpty)
    }

    @Test func aChangedSettingRewritesTheFileAndRestartsTheService() throws {
        let old = try PodmanContainerQuadlet.service(try Module.arguments(Self.arguments),
                                                     unit: try #require(try PodmanSystemdUnit(option: .dict(["restart_sec": 2]), container: "web", executable: "podman"))).content
        var changed = Self.arguments
        changed["env"] = ["MODE": "green"]
        let plan = try Self.plan(changed, Self.state(container: Self.running, quadlet: PodmanQuadletObserved(content: old, mode: "644", active: true)))
        #expect(Array(plan.steps.map(\.description).prefix(3)) == ["write /etc/containers/systemd/web.container", "systemctl daemon-reload", "systemctl restart web.service"])
        #expect(plan.values["recreated_because"] == .list(["env"]))
        // A moved image tag restarts the service (which runs the image the tag names now), the file unchanged.
        let moved = try Self.plan(Self.arguments, Self.state(container: Self.running, imageID: "sha-2", quadlet: PodmanQuadletObserved(content: old, mode: "644", active: true)))
        #expect(Array(moved.steps.map(\.description).prefix(1)) == ["systemctl restart web.service"])
        #expect(moved.values["recreated_because"] == .list(["image"]))
    }

    @Test func stoppedAndAbsentGoThroughTheService() throws {
        let content = try PodmanContainerQuadlet.service(try Module.arguments(Self.arguments),
                                                         unit: try #require(try PodmanSystemdUnit(option: .dict(["restart_sec": 2]), container: "web", executable: "podman"))).content
        var stopped = Self.arguments
        stopped["state"] = "stopped"
        let stop = try Self.plan(stopped, Self.state(container: Self.running, quadlet: PodmanQuadletObserved(content: content, mode: "644", active: true)))
        #expect(stop.steps.map(\.description) == ["systemctl stop web.service"])
        let absent = try Self.plan(["name": "web", "state": "absent"], Self.state(container: Self.running, quadlet: PodmanQuadletObserved(content: content, mode: "644", active: true)))
        #expect(absent.steps.map(\.description) == ["systemctl stop web.service", "remove /etc/containers/systemd/web.container", "systemctl daemon-reload", "podman rm -f web"])
        // A file of `state: quadlet` is the user's: absent leaves it (as containers.podman does).
        let own = try PodmanContainerQuadlet.file(try Module.arguments(["name": "web", "image": "i", "state": "quadlet"])).content
        let kept = try Self.plan(["name": "web", "state": "absent"], Self.state(quadlet: PodmanQuadletObserved(content: own, mode: "640", active: false)))
        #expect(kept.steps.isEmpty)
    }

    @Test func aUnitKeelRenderedBeforeGoesWhenPodmanGainsQuadlet() throws {
        let a = try Module.arguments(Self.arguments)
        let legacy = try #require(try PodmanSystemdUnit(option: a.systemd, container: "web", executable: "podman"))
        var observedUnit = PodmanUnitObserved(sections: ["unit-file": legacy.content, "unit-enabled": "enabled", "unit-active": "active"])
        observedUnit.enabled = true
        let plan = try Self.plan(Self.arguments, Self.state(container: Self.running, unit: observedUnit))
        #expect(Array(plan.steps.map(\.description).prefix(6)) == [
            "systemctl stop container-web.service", "systemctl disable container-web.service", "remove /etc/systemd/system/container-web.service",
            "write /etc/containers/systemd/web.container", "systemctl daemon-reload", "systemctl start web.service",
        ])
    }

    @Test func olderPodmanKeepsKeelsOwnUnit() throws {
        let plan = try Self.plan(Self.arguments, Self.state(supported: false))
        #expect(plan.steps.map(\.description).contains("write /etc/systemd/system/container-web.service"))
        #expect(!plan.steps.contains { $0.description.contains("/etc/containers/systemd") })
    }

    @Test func podmanVersionsAreRead() {
        #expect(PodmanQuadlet.version("podman version 4.3.1").map { PodmanQuadlet.supported(major: $0.major, minor: $0.minor) } == false)
        #expect(PodmanQuadlet.version("podman version 4.4.0").map { PodmanQuadlet.supported(major: $0.major, minor: $0.minor) } == true)
        #expect(PodmanQuadlet.version("podman version 5.2.2-dev").map { PodmanQuadlet.supported(major: $0.major, minor: $0.minor) } == true)
        #expect(PodmanQuadlet.version("") == nil)
        #expect(PodmanQuadlet.shellQuoted("A=b c") == "'A=b c'")
        #expect(PodmanQuadlet.shellQuoted("it's") == "'it'\"'\"'s'")
        #expect(PodmanQuadlet.shellQuoted("A=1") == "A=1")
    }

    @Test func aQuadletFileModeMustBeOctal() throws {
        #expect(try PodmanContainerPlanner.octalMode("0640") == "640")
        #expect(try PodmanContainerPlanner.octalMode("600") == "600")
        #expect(throws: KeelError.self) { try PodmanContainerPlanner.octalMode("u=rw") }
    }
}
