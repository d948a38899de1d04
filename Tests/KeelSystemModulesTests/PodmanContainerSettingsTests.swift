import KeelBase
@testable import KeelModules
import Testing

/// The notations podman_container reads, without a host: each setting's normalized text is what
/// desired and observed settings are compared by.
@Suite("podman_container settings notation") struct PodmanContainerSettingsTests {
    @Test func publishedPortsAreNormalized() throws {
        #expect(try PodmanSettingText.ports("8080:80") == ["8080->80/tcp"])
        #expect(try PodmanSettingText.ports("0.0.0.0:8080:80") == ["8080->80/tcp"])
        #expect(try PodmanSettingText.ports("127.0.0.1:53:53/UDP") == ["127.0.0.1:53->53/udp"])
        #expect(try PodmanSettingText.ports("127.0.0.1::80") == ["127.0.0.1:->80/tcp"])
        #expect(try PodmanSettingText.ports("8000-8001:80-81") == ["8000->80/tcp", "8001->81/tcp"])
        #expect(try PodmanSettingText.ports("[::1]:8080:80") == ["::1:8080->80/tcp"])
        #expect(throws: KeelError.self) { try PodmanSettingText.ports("80:80:80:80") }
        #expect(throws: KeelError.self) { try PodmanSettingText.ports("8000-8002:80-81") }
    }

    @Test func hostPortsAreWhatOtherContainersCouldHold() throws {
        let a = try PodmanContainerModule.arguments(["name": "x", "image": "i", "publish": ["127.0.0.1::80", "8080:80", "[::1]:5353:53/udp"]])
        #expect(try PodmanContainerDesired(a, envFiles: [:]).hostPorts == ["8080/tcp", "5353/udp"])
    }

    @Test func sizesAndDurationsReadAsPodmanReadsThem() throws {
        #expect(try PodmanSettingText.bytes("256m") == 268_435_456)
        #expect(try PodmanSettingText.bytes("1g") == 1 << 30)
        #expect(try PodmanSettingText.bytes("4096") == 4096)
        #expect(try PodmanSettingText.nanoseconds("1m30s", option: "i") == 90_000_000_000)
        #expect(try PodmanSettingText.nanoseconds("500ms", option: "i") == 500_000_000)
        #expect(PodmanSettingText.duration(90_000_000_000) == "1m30s")
        #expect(throws: KeelError.self) { try PodmanSettingText.nanoseconds("soon", option: "i") }
    }

    @Test func aMalformedEnvFileNamesTheFileAndLine() throws {
        #expect(try PodmanSettingText.envFile("# comment\n\nA=1\nB=x=y\n", path: "/e").map { "\($0.0)=\($0.1)" } == ["A=1", "B=x=y"])
        let error = #expect(throws: KeelError.self) { try PodmanSettingText.envFile("A=1\nBAD KEY=2\n", path: "/etc/app.env") }
        #expect(error?.message.contains("/etc/app.env line 2") == true)
    }

    @Test func volumesAndMountsShareOneForm() throws {
        #expect(try PodmanSettingText.volume("/srv/data/:/data:ro,z").text == "bind /srv/data -> /data ro")
        #expect(try PodmanSettingText.volume("pgdata:/var/lib/postgresql").text == "volume pgdata -> /var/lib/postgresql")
        #expect(try PodmanSettingText.mountOption("type=bind,src=/srv/data,target=/data,ro=true").text == "bind /srv/data -> /data ro")
        #expect(try PodmanSettingText.mountOption("type=tmpfs,destination=/run").text == "tmpfs -> /run")
    }
}
