import Foundation
import KeelBase
import KeelLab
import KeelModules
import KeelTestSupport
import OrderedCollections
import Testing

/// podman_image, podman_image_cleanup, podman_network, podman_volume, podman_pod and podman_login on two
/// systemd lab hosts with podman, against a real TLS registry with htpasswd auth on the controller. The
/// suite is serialized: the tests share the hosts' image stores, and cleanup must see only its own images.
@Suite("podman images, networks, volumes, pods and logins on real hosts", .serialized)
struct PodmanImageLabTests {
    static let registryImage = "\(PodmanTestRegistry.address)/keel/kbuild:1"

    func imageID(_ host: PodmanImageLabHost, _ name: String) throws -> String {
        try host.inspect("podman image inspect --format '{{.Id}}' \(name)").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A file of an image, read through `podman image mount` (no container runs: see the pod test's note).
    func imageFile(_ host: PodmanImageLabHost, _ image: String, _ path: String) throws -> String {
        try host.inspect("m=$(podman image mount \(image)) && cat \"$m\(path)\"; podman image unmount \(image) >/dev/null")
    }

    /// The message of a task that must fail: a thrown error's, or a failed result's.
    func failure(_ run: () async throws -> ModuleResult) async -> String? {
        do {
            let result = try await run()
            return result.failed ? (result.message ?? "") : nil
        } catch {
            return "\(error)"
        }
    }

    func fields(_ result: ModuleResult) -> [String] {
        result.diffs.flatMap { $0.after.split(separator: "\n").map { String($0.prefix { $0 != ":" }) } }
    }

    // MARK: build

    @Test func aBuildFromAHostContextIsRepeatedOnlyWhenAFileOfTheContextChanged() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.inspect("podman rmi -f localhost/kbuild:1 >/dev/null 2>&1; rm -rf /srv/kbuild; true")
        try host.makeContext("/srv/kbuild", marker: "one")
        let arguments: OrderedDictionary<String, Value> = ["name": "localhost/kbuild", "tag": "1", "path": "/srv/kbuild"]
        try await host.converges(PodmanImageModule.self, arguments)
        let first = try imageID(host, "localhost/kbuild:1")
        let label = try host.inspect("podman image inspect --format '{{index .Labels \"io.keel.context.digest\"}}' localhost/kbuild:1")
        #expect(label.trimmingCharacters(in: .whitespacesAndNewlines).count == 64)
        #expect(try imageFile(host, "localhost/kbuild:1", "/marker.txt") == "one\n")

        // A COPY source changed, not the Containerfile: containers.podman would not rebuild; Keel does.
        try host.inspect("echo two > /srv/kbuild/marker.txt")
        let predicted = try await host.run(PodmanImageModule.self, arguments, .check)
        #expect(predicted.changed)
        #expect(fields(predicted) == ["context digest"])
        #expect(try imageID(host, "localhost/kbuild:1") == first, "check mode rebuilt the image")
        let rebuilt = try await host.run(PodmanImageModule.self, arguments)
        #expect(rebuilt.changed && !rebuilt.failed, "\(rebuilt.message ?? "")")
        #expect(rebuilt.diffs == predicted.diffs)
        #expect(try imageID(host, "localhost/kbuild:1") != first)
        #expect(try imageFile(host, "localhost/kbuild:1", "/marker.txt") == "two\n")
        #expect(try await host.run(PodmanImageModule.self, arguments).changed == false)
    }

    @Test func aBuildFromTheControllerWithAnInlineContainerfileAndBuildArguments() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.inspect("podman rmi -f localhost/ksrc:1 >/dev/null 2>&1; true")
        let context = FileManager.default.temporaryDirectory.appendingPathComponent("keel-podman-src-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: context + "/app", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: context) }
        try FileManager.default.copyItem(atPath: "/bin/busybox", toPath: context + "/busybox")
        try "release 1\n".write(toFile: context + "/app/release.txt", atomically: true, encoding: .utf8)
        let containerfile = "FROM scratch\nARG GREETING\nLABEL greeting=$GREETING\nCOPY busybox /bin/busybox\nCOPY app /app\n"
        func arguments(_ greeting: String) -> OrderedDictionary<String, Value> {
            ["name": "localhost/ksrc:1", "src": .string(context),
             "build": .dict(["container_file": .string(containerfile), "args": .dict(["GREETING": .string(greeting)])])]
        }
        try await host.converges(PodmanImageModule.self, arguments("hello"))
        #expect(try host.inspect("podman image inspect --format '{{index .Labels \"greeting\"}}' localhost/ksrc:1") == "hello\n")
        #expect(try imageFile(host, "localhost/ksrc:1", "/app/release.txt") == "release 1\n")
        #expect(try host.inspect("ls /var/tmp | grep -c keel-podman-build || true") == "0\n", "the staged context was left behind")

        let changed = try await host.run(PodmanImageModule.self, arguments("bonjour"))
        #expect(changed.changed && fields(changed) == ["context digest"])
        #expect(try host.inspect("podman image inspect --format '{{index .Labels \"greeting\"}}' localhost/ksrc:1") == "bonjour\n")
        try "release 2\n".write(toFile: context + "/app/release.txt", atomically: true, encoding: .utf8)
        #expect(try await host.run(PodmanImageModule.self, arguments("bonjour"), .check).changed, "a changed controller file must rebuild")
    }

    @Test func aBuildWithoutContextOrContainerfileIsRefusedClearly() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        let missing = await failure { try await host.run(PodmanImageModule.self, ["name": "localhost/nothing", "state": "build"]) }
        #expect(missing?.contains("needs a context (path or src) or a Containerfile") == true, "\(missing ?? "no failure")")
        let typo = await failure { try await host.run(PodmanImageModule.self, ["name": "localhost/nothing", "path": "/srv", "build": .dict(["buildargs": .dict([:])])]) }
        #expect(typo?.contains("build has no option 'buildargs'") == true, "\(typo ?? "no failure")")
    }

    // MARK: registry

    @Test func loginPushAndPullAgainstATLSRegistryWithPasswords() async throws {
        let hosts = try await PodmanImageLabHost.pair()
        let (builder, puller) = (hosts[0], hosts[1])
        try await PodmanTestRegistry.shared.start(trustedBy: hosts.map(\.lab), lab: builder.labFixture)
        for host in hosts { try host.inspect("rm -f /run/containers/0/auth.json; podman rmi -f \(Self.registryImage) >/dev/null 2>&1; true") }
        try builder.makeContext("/srv/kpush", marker: "pushed")
        try await builder.run(PodmanImageModule.self, ["name": "localhost/kpush:1", "path": "/srv/kpush"])

        let wrong = await failure { try await builder.run(PodmanLoginModule.self, ["registry": .string(PodmanTestRegistry.address), "username": "deploy", "password": "wrong-pass"]) } ?? "no failure"
        #expect(wrong.contains("cannot log in to \(PodmanTestRegistry.address) as deploy"), "\(wrong)")
        #expect(wrong.contains("invalid username/password"), "\(wrong)")
        #expect(!wrong.contains("wrong-pass"), "the password appeared in the error")
        let login: OrderedDictionary<String, Value> = ["registry": .string(PodmanTestRegistry.address), "username": .string(PodmanTestRegistry.user),
                                                        "password": .string(PodmanTestRegistry.password)]
        try await builder.converges(PodmanLoginModule.self, login)
        #expect(try builder.inspect("podman login --get-login \(PodmanTestRegistry.address)") == "deploy\n")

        let push: OrderedDictionary<String, Value> = ["name": "localhost/kpush:1", "push": true, "push_args": .dict(["dest": .string(Self.registryImage)])]
        try await builder.converges(PodmanImageModule.self, push)
        var wrongPush = push
        wrongPush["username"] = "deploy"
        wrongPush["password"] = "bad-push-pass"
        let refused = await failure { try await builder.run(PodmanImageModule.self, wrongPush) } ?? "no failure"
        #expect(refused.contains("cannot observe image localhost/kpush:1") && refused.contains("unauthorized"), "\(refused)")
        #expect(!refused.contains("bad-push-pass"), "the password appeared in the error")
        let pushedID = try imageID(builder, "localhost/kpush:1")

        // The second host has no credentials: the registry refuses, and the task says so.
        let anonymous = await failure { try await puller.run(PodmanImageModule.self, ["name": .string(Self.registryImage)]) } ?? "no failure"
        #expect(anonymous.contains("cannot pull image \(Self.registryImage)"), "\(anonymous)")
        #expect(anonymous.lowercased().contains("unauthorized") || anonymous.contains("authentication required"), "\(anonymous)")
        let badPassword = await failure { try await puller.run(PodmanImageModule.self, ["name": .string(Self.registryImage), "username": "deploy", "password": "nope-pass"]) } ?? "no failure"
        #expect(badPassword.contains("cannot pull image") && !badPassword.contains("nope-pass"), "\(badPassword)")
        let pull: OrderedDictionary<String, Value> = ["name": .string(Self.registryImage), "username": .string(PodmanTestRegistry.user),
                                                       "password": .string(PodmanTestRegistry.password)]
        try await puller.converges(PodmanImageModule.self, pull)
        #expect(try imageID(puller, Self.registryImage) == pushedID)

        // By digest, with the credentials in an auth file.
        let digest = try puller.inspect("podman image inspect --format '{{.Digest}}' \(Self.registryImage)").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(digest.hasPrefix("sha256:"))
        var loginToFile = login
        loginToFile["authfile"] = "/root/registry-auth.json"
        try await puller.run(PodmanLoginModule.self, loginToFile)
        try puller.inspect("podman rmi -f \(pushedID) >/dev/null")
        let byDigest: OrderedDictionary<String, Value> = ["name": .string("\(PodmanTestRegistry.address)/keel/kbuild@\(digest)"), "auth_file": "/root/registry-auth.json"]
        try await puller.converges(PodmanImageModule.self, byDigest)
        #expect(try imageID(puller, "\(PodmanTestRegistry.address)/keel/kbuild@\(digest)") == pushedID)
    }

    // MARK: load, absent, cleanup

    @Test func anArchiveIsLoadedOnceAndTheImageRemoved() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.makeContext("/srv/kload", marker: "loaded")
        try host.inspect("""
            podman rmi -f localhost/kload:1 localhost/kloaded:1 >/dev/null 2>&1; rm -f /var/tmp/kload.tar
            podman build -q -t localhost/kload:1 /srv/kload >/dev/null && podman save -o /var/tmp/kload.tar localhost/kload:1 && podman rmi localhost/kload:1 >/dev/null
            """)
        try await host.converges(PodmanImageModule.self, ["name": "localhost/kloaded:1", "load_path": "/var/tmp/kload.tar"])
        #expect(try imageFile(host, "localhost/kloaded:1", "/marker.txt") == "loaded\n")
        try await host.converges(PodmanImageModule.self, ["name": "localhost/kloaded:1", "state": "absent"])
        #expect(try host.inspect("podman image exists localhost/kloaded:1 && echo yes || echo no") == "no\n")
    }

    @Test func tagsFollowTheImageAndAreLeftAloneWhenRight() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.makeContext("/srv/ktag", marker: "tag one")
        try host.inspect("podman rmi -f localhost/ktag:1 localhost/ktag:current localhost/ktag-copy:1 >/dev/null 2>&1; podman build -q -t localhost/ktag:1 /srv/ktag >/dev/null")
        let tags: OrderedDictionary<String, Value> = ["image": "localhost/ktag:1", "target_names": ["localhost/ktag:current", "localhost/ktag-copy:1"]]
        try await host.converges(PodmanImageTagModule.self, tags)
        let first = try imageID(host, "localhost/ktag:1")
        #expect(try imageID(host, "localhost/ktag:current") == first && imageID(host, "localhost/ktag-copy:1") == first)

        try host.inspect("echo tag two > /srv/ktag/marker.txt && podman build -q -t localhost/ktag:1 /srv/ktag >/dev/null")
        let moved = try await host.converges(PodmanImageTagModule.self, tags)
        let after = moved.diffs.first?.after ?? ""
        #expect(after.hasPrefix("localhost/ktag:current: ") && after.contains("\nlocalhost/ktag-copy:1: "), "\(after)")
        #expect(try imageID(host, "localhost/ktag:current") == imageID(host, "localhost/ktag:1"))
        let missing = await failure { try await host.run(PodmanImageTagModule.self, ["image": "localhost/no-such-image:1", "target_names": ["x:1"]]) }
        #expect(missing?.contains("image localhost/no-such-image:1 is not on the host") == true, "\(missing ?? "no failure")")
    }

    @Test func cleanupKeepsTheNewestImagesOfARepositoryAndRemovesDanglingOnes() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.makeContext("/srv/kclean", marker: "0")
        var script = "podman rmi -f $(podman images -q localhost/kclean) >/dev/null 2>&1; true\n"
        for release in 1...4 {
            script += "echo \(release) > /srv/kclean/marker.txt && podman build -q -t localhost/kclean:\(release) /srv/kclean >/dev/null\nsleep 1\n"
        }
        // Rebuilding release 4 leaves the old release 4 dangling.
        script += "echo 4b > /srv/kclean/marker.txt && podman build -q -t localhost/kclean:4 /srv/kclean >/dev/null\n"
        try host.inspect(script)
        #expect(try host.inspect("podman images -q --filter dangling=true | wc -l") != "0\n")
        let result = try await host.converges(PodmanImageCleanupModule.self, ["repository": ["localhost/kclean"], "keep": 2])
        let removed = result.values["removed"]?.listValue ?? []
        #expect(Set(removed.prefix(2)) == Set(["localhost/kclean:1", "localhost/kclean:2"].map(Value.string)), "\(removed)")
        #expect(try host.inspect("podman images --format '{{.Tag}}' localhost/kclean | sort") == "3\n4\n")
        #expect(try host.inspect("podman images -q --filter dangling=true | wc -l") == "0\n")
        #expect(try imageFile(host, "localhost/kclean:4", "/marker.txt") == "4b\n")
    }

    // MARK: network, volume, pod

    @Test func anInternalNetworkIsCreatedRecreatedWhenItsSubnetChangesAndRemoved() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.inspect("podman network rm -f kback >/dev/null 2>&1; true")
        let network: OrderedDictionary<String, Value> = ["name": "kback", "subnet": "10.90.0.0/24", "gateway": "10.90.0.1", "internal": true]
        try await host.converges(PodmanNetworkModule.self, network)
        let inspected = try Value.parseJSON(try host.inspect("podman network inspect kback"))
        #expect(inspected.listValue?.first?["subnets"]?.listValue?.first?["subnet"] == "10.90.0.0/24")
        #expect(inspected.listValue?.first?["internal"] == .bool(true))

        var moved = network
        moved["subnet"] = "10.91.0.0/24"
        moved["gateway"] = "10.91.0.1"
        let predicted = try await host.run(PodmanNetworkModule.self, moved, .check)
        #expect(predicted.changed && fields(predicted) == ["subnet", "gateway"])
        #expect(predicted.diffs.first?.before.contains("subnet: 10.90.0.0/24") == true)
        let result = try await host.run(PodmanNetworkModule.self, moved)
        #expect(result.changed && result.diffs == predicted.diffs)
        #expect(try host.inspect("podman network inspect --format '{{range .Subnets}}{{.Subnet}}{{end}}' kback") == "10.91.0.0/24\n")
        #expect(try await host.run(PodmanNetworkModule.self, moved).changed == false)
        try await host.converges(PodmanNetworkModule.self, ["name": "kback", "state": "absent"])
    }

    @Test func aVolumeIsCreatedRecreatedWhenItsLabelsChangeAndRemoved() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.inspect("podman volume rm -f kvol >/dev/null 2>&1; true")
        try await host.converges(PodmanVolumeModule.self, ["name": "kvol", "label": .dict(["app": "db"]),
                                                           "options": ["type=tmpfs", "device=tmpfs", "o=nodev,noexec"]])
        #expect(try host.inspect("podman volume inspect --format '{{.Labels.app}} {{.Options.o}}' kvol") == "db nodev,noexec\n")
        let relabel = try await host.run(PodmanVolumeModule.self, ["name": "kvol", "label": .dict(["app": "cache"])])
        #expect(relabel.changed && fields(relabel) == ["label"])
        #expect(try host.inspect("podman volume inspect --format '{{.Labels.app}}' kvol") == "cache\n")
        try await host.converges(PodmanVolumeModule.self, ["name": "kvol", "state": "absent"])
    }

    /// Created, recreated and removed; a pod's started and stopped states, with a container in it, are
    /// tested in Tests/KeelSystemModulesTests/PodmanQuadletLabTests.swift.
    @Test func aPodIsCreatedRecreatedWhenItsPortsChangeAndRemoved() async throws {
        let host = try await PodmanImageLabHost.pair()[0]
        try host.inspect("podman pod rm -f kpod >/dev/null 2>&1; true")
        var pod: OrderedDictionary<String, Value> = ["name": "kpod", "publish": ["18080:80"], "label": .dict(["app": "web"]), "hostname": "kpod"]
        try await host.converges(PodmanPodModule.self, pod)
        #expect(try host.inspect("podman pod inspect --format '{{.State}} {{.Labels.app}} {{.Hostname}}' kpod") == "Created web kpod\n")
        let first = try host.inspect("podman pod inspect --format '{{.Id}}' kpod")
        pod["publish"] = ["127.0.0.1:18081:80/tcp"]
        let republished = try await host.converges(PodmanPodModule.self, pod)
        #expect(fields(republished) == ["publish"])
        #expect(republished.diffs.first?.before.contains("18080:80/tcp") == true, "\(republished.diffs)")
        #expect(try host.inspect("podman pod inspect --format '{{.Id}}' kpod") != first)
        #expect(try host.inspect("podman pod inspect --format '{{range $p, $b := .InfraConfig.PortBindings}}{{$p}}{{range $b}} {{.HostIP}}:{{.HostPort}}{{end}}{{end}}' kpod")
                == "80/tcp 127.0.0.1:18081\n")
        try await host.converges(PodmanPodModule.self, ["name": "kpod", "state": "absent"])
        #expect(try host.inspect("podman pod exists kpod && echo yes || echo no") == "no\n")
    }
}

extension PodmanImageLabHost {
    var labFixture: Lab { LabFixture.shared.lab }
}
