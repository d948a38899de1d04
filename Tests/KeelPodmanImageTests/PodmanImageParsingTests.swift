import Foundation
import KeelBase
@testable import KeelModules
import OrderedCollections
import Testing

/// What the podman modules read from podman and decide, without a host.
@Suite("podman image names, manifests and plans") struct PodmanImageParsingTests {
    @Test func aTagOrDigestInTheNameWinsOverTheTagOptionAndARegistryPortIsNotATag() {
        #expect(PodmanImageReference(name: "app", tag: "latest").fullName == "app:latest")
        #expect(PodmanImageReference(name: "app:1", tag: "latest").fullName == "app:1")
        #expect(PodmanImageReference(name: "registry:5000/app", tag: "2").fullName == "registry:5000/app:2")
        let digest = PodmanImageReference(name: "registry:5000/app@sha256:abc", tag: "latest")
        #expect(digest.isDigest && digest.repository == "registry:5000/app" && digest.fullName == "registry:5000/app@sha256:abc")
    }

    @Test func theRegistrysImageIDIsReadFromAManifestOrFromPodman43sRefusalQuotingIt() {
        let plain = #"{"schemaVersion": 2, "config": {"mediaType": "x", "digest": "sha256:b99a"}, "layers": []}"#
        #expect(PodmanImagePush.configDigest(plain) == "b99a")
        let refusal = #"Error: parsing manifest blob "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:b99a742c\",\"size\":1317},\"layers\":[{\"digest\":\"sha256:6745\"}]}" as a "application/vnd.oci.image.manifest.v1+json": Treating single images as manifest lists is not implemented"#
        #expect(PodmanImagePush.configDigest(refusal) == "b99a742c")
        #expect(PodmanImagePush.configDigest("") == nil)
    }

    @Test func pushDestinationsAreBuiltAsContainersPodmanBuildsThem() throws {
        let image = PodmanImageReference(name: "localhost/app", tag: "1")
        #expect(try PodmanImagePush.destination(image, nil)?.reference == "localhost/app:1")
        #expect(try PodmanImagePush.destination(image, .dict(["dest": "quay.io/team"]))?.reference == "quay.io/team/localhost/app:1")
        #expect(try PodmanImagePush.destination(image, .dict(["dest": "registry:5000/apps/app:1"]))?.transportReference == "registry:5000/apps/app:1")
        let archive = try PodmanImagePush.destination(image, .dict(["dest": "/tmp/app.tar", "transport": "oci-archive"]))
        #expect(archive?.transportReference == "oci-archive:/tmp/app.tar" && archive?.isRegistry == false)
        #expect(throws: KeelError.self) { try PodmanImagePush.destination(image, .dict(["dest": "nohost"])) }
        #expect(throws: KeelError.self) { try PodmanImagePush.destination(image, .dict(["destinaton": "x/y"])) }
    }

    @Test func theControllersContextListingIsTheHostsFindSortSha256sumListing() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-podman-listing-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/b/c", withIntermediateDirectories: true)
        for (path, text) in [("Containerfile", "FROM scratch\n"), ("b/c/z.txt", "z"), ("B.txt", "upper"), ("a b.txt", "space"), ("b/a", "")] {
            try text.write(toFile: directory + "/" + path, atomically: true, encoding: .utf8)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", PodmanImageBuildContext.listingScript(path: directory)]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let shell = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(try PodmanImageBuildContext.controllerListing(path: directory) == shell)
        #expect(shell.split(separator: "\n").count == 5)
    }

    @Test func sectionsOfOneRoundTripAreCutAtTheirMarkers() {
        let text = "@@KEEL-SECTION image\n[{\"Id\": \"x\"}]\n@@KEEL-SECTION context\n@@KEEL-SECTION remote\nline1\nline2\n"
        let sections = PodmanSections.split(text)
        #expect(sections["image"] == "[{\"Id\": \"x\"}]\n")
        #expect(sections["context"] == "")
        #expect(sections["remote"] == "line1\nline2\n")
    }

    @Test func publishedPortsCompareAsPodmanReportsThem() throws {
        let observed = PodmanPortMapping.observed(.dict(["80/tcp": .list([.dict(["HostIp": "", "HostPort": "8080"])])]))
        #expect(try PodmanPortMapping("8080:80").matches(observed[0]))
        #expect(try PodmanPortMapping("0.0.0.0:8080:80/tcp").matches(observed[0]))
        #expect(try PodmanPortMapping("80").matches(observed[0]), "a container port alone matches any host port")
        #expect(try !PodmanPortMapping("8081:80").matches(observed[0]))
        #expect(try !PodmanPortMapping("8080:80/udp").matches(observed[0]))
        #expect(throws: KeelError.self) { try PodmanPortMapping("a:b:c:d") }
    }

    @Test func aMissingImageWithPullFalseFailsAtPlanTimeInCheckModeToo() throws {
        let module = PodmanImageModule()
        let arguments = try PodmanImageModule.arguments(["name": "localhost/app", "pull": false])
        let host = HostContext(name: "h", connection: ControllerOnlyConnection(hostName: "h", module: "podman_image"))
        #expect(throws: KeelError.self) { try module.plan(arguments, observed: .init(), on: host) }
    }

    @Test func aBuiltImageWhoseLabelMatchesTheContextIsLeftAlone() throws {
        let module = PodmanImageModule()
        let arguments = try PodmanImageModule.arguments(["name": "localhost/app", "path": "/srv/app"])
        let listing = "abc  ./Containerfile\n"
        let digest = PodmanImageBuildContext.digest(listing: listing, containerfileHash: nil, buildArgs: [:], target: nil, extraArgs: nil)
        var state = PodmanImageModule.State()
        state.image = .dict(["Id": "1234", "Labels": .dict([PodmanImageBuildContext.label: .string(digest)])])
        state.contextListing = listing
        let host = HostContext(name: "h", connection: ControllerOnlyConnection(hostName: "h", module: "podman_image"))
        #expect(try module.plan(arguments, observed: state, on: host).isEmpty)
        state.contextListing = "abd  ./Containerfile\n"
        let rebuild = try module.plan(arguments, observed: state, on: host)
        #expect(rebuild.fieldChanges?.changes.map(\.field) == ["context digest"])
        #expect(rebuild.describe().first?.hasPrefix("podman build -t localhost/app:latest --label io.keel.context.digest=") == true)
    }

    @Test func theModulesAnswerToTheirCollectionNames() {
        let registry = StandardModules.registry
        for name in ["podman_image", "podman_tag", "podman_network", "podman_volume", "podman_pod", "podman_login"] {
            #expect(registry.canonicalName(for: "containers.podman." + name) == name)
        }
        #expect(registry.canonicalName(for: "podman_image_cleanup") == "podman_image_cleanup")
    }
}
