import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import KeelTransport
import OrderedCollections
import Testing

/// A rootless container for a deployment user: podman_container run with `become_user: deploy` (sudo),
/// the user with subordinate IDs (useradd gives them) and lingering, so /run/user/UID exists.
@Suite("podman_container rootless, for a deployment user", .serialized) struct PodmanContainerRootlessTests {
    static let user = "pcdeploy"

    func asUser(_ host: SystemLabHost, _ script: String) throws -> String {
        try host.inspect("cd /tmp && su - \(Self.user) -c \(ShellQuote.quote("export XDG_RUNTIME_DIR=/run/user/$(id -u); " + script))")
    }

    @Test func aDeploymentUsersContainerConvergesAndServes() async throws {
        let root = try await SystemLabHost.make("podr", flavor: .systemd)
        try root.inspect("""
            id \(Self.user) >/dev/null 2>&1 || useradd -m -s /bin/sh \(Self.user)
            loginctl enable-linger \(Self.user)
            for i in $(seq 1 50); do [ -d /run/user/$(id -u \(Self.user)) ] && break; sleep 0.1; done
            cp /bin/busybox /tmp/pc-busybox && chmod 755 /tmp/pc-busybox
            """)
        #expect(try root.inspect("grep -c '^\(Self.user):' /etc/subuid") == "1\n", "useradd gives the user subordinate IDs")
        _ = try asUser(root, "podman rm -f pc-rootless >/dev/null 2>&1\n"
                            + PodmanContainerLab.imageScript(tag: "1").replacingOccurrences(of: "cp /bin/busybox", with: "cp /tmp/pc-busybox"))
        var context = root.context
        context.become = Become(user: Self.user)
        let user = SystemLabHost(lab: root.lab, context: context)
        let arguments: OrderedDictionary<String, Value> = [
            "name": "pc-rootless", "image": .string(PodmanContainerLab.image("1")), "publish": ["18300:8080"], "env": ["MODE": "rootless"],
        ]
        let fingerprint = "su - \(Self.user) -c 'XDG_RUNTIME_DIR=/run/user/$(id -u) podman container inspect --format \"{{.Id}} {{.State.Status}}\" pc-rootless 2>/dev/null || echo missing'"
        _ = try await user.converges(PodmanContainerModule.self, arguments, fingerprint: fingerprint)
        #expect(try root.inspect("for i in $(seq 1 20); do curl -s --max-time 2 http://127.0.0.1:18300/ && exit 0; sleep 0.5; done") == "keel image 1\n")
        #expect(try asUser(root, "podman container inspect --format '{{.State.Running}}' pc-rootless") == "true\n")
        #expect(try root.inspect("podman container exists pc-rootless && echo root-has-it || echo only-the-user") == "only-the-user\n")
    }

    /// `systemd: {}` for a rootless container: a user unit in ~/.config/systemd/user, run by the user's
    /// systemd manager, which lingering starts at boot.
    @Test func aDeploymentUsersServiceIsAUserUnitThatComesBackAfterARestart() async throws {
        let root = try await SystemLabHost.make("podr", flavor: .systemd)
        try root.inspect("""
            id \(Self.user) >/dev/null 2>&1 || useradd -m -s /bin/sh \(Self.user)
            loginctl enable-linger \(Self.user)
            for i in $(seq 1 50); do [ -S /run/user/$(id -u \(Self.user))/bus ] && break; sleep 0.1; done
            cp /bin/busybox /tmp/pc-busybox && chmod 755 /tmp/pc-busybox
            """)
        let unit = "/home/\(Self.user)/.config/systemd/user/container-pc-rl-svc.service"
        _ = try asUser(root, """
            XDG_RUNTIME_DIR=/run/user/$(id -u) systemctl --user disable --now container-pc-rl-svc.service >/dev/null 2>&1
            rm -f \(unit); podman rm -f pc-rl-svc >/dev/null 2>&1
            """ + "\n" + PodmanContainerLab.imageScript(tag: "1").replacingOccurrences(of: "cp /bin/busybox", with: "cp /tmp/pc-busybox"))
        var context = root.context
        context.become = Become(user: Self.user)
        let user = SystemLabHost(lab: root.lab, context: context)
        let arguments: OrderedDictionary<String, Value> = [
            "name": "pc-rl-svc", "image": .string(PodmanContainerLab.image("1")), "publish": ["18301:8080"], "systemd": [:],
        ]
        let state = "su - \(Self.user) -c 'export XDG_RUNTIME_DIR=/run/user/$(id -u); cat \(unit) 2>&1; systemctl --user is-enabled container-pc-rl-svc.service 2>&1; podman container inspect --format \"{{.Id}}\" pc-rl-svc 2>/dev/null; true'"
        let first = try await user.converges(PodmanContainerModule.self, arguments, fingerprint: state)
        #expect(first.diffs.map(\.label).contains(unit), "\(first.diffs.map(\.label))")
        #expect(try asUser(root, "systemctl --user is-enabled container-pc-rl-svc.service; systemctl --user is-active container-pc-rl-svc.service") == "enabled\nactive\n")
        let page = "for i in $(seq 1 40); do curl -s --max-time 2 http://127.0.0.1:18301/ && exit 0; sleep 0.5; done; echo no-answer"
        #expect(try root.inspect(page) == "keel image 1\n")

        let lab = LabFixture.shared.lab
        await root.context.connection.close()   // its SSH session dies with the host
        _ = try? lab.exec(root.lab.name, "systemctl poweroff")
        let deadline = Date().addingTimeInterval(60)
        while try lab.isRunning(root.lab.name), Date() < deadline { try await Task.sleep(nanoseconds: 500_000_000) }
        #expect(try !lab.isRunning(root.lab.name), "the host did not power off")
        _ = try lab.up(names: [root.lab.name], flavor: .systemd)
        #expect(try root.inspect(page) == "keel image 1\n")
        var again = try await SystemLabHost.make("podr", flavor: .systemd).context
        again.become = Become(user: Self.user)
        #expect(try await !SystemLabHost(lab: root.lab, context: again).run(PodmanContainerModule.self, arguments).changed)
    }
}
