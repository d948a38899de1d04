import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// get_url on a real lab host, downloading from a server inside the host's own network namespace.
@Suite("get_url on a lab host") struct GetURLModuleLabTests {
    static func withServer(_ body: (LabModuleHost, String) async throws -> Void) async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        let server = try WebTestServer.start(onLabHost: host.lab.name, root: host.root)
        defer { server.stop() }
        try await body(host, server.url)
    }

    static let payload = "release 1.2\n"
    /// `printf "release 1.2\\n" | sha256sum`
    static let sha256 = "sha256:91159536697d402b568f8e39cea7647dad62b259b9d019626ad6759996468c04"

    @Test func aVerifiedDownloadConvergesAndIsKept() async throws {
        try await Self.withServer { host, url in
            try host.sh("printf '\(Self.payload.replacingOccurrences(of: "\n", with: "\\n"))' > \(host.root)/tool.tgz")
            let dest = host.root + "/installed.tgz"
            let result = try await host.expectConverges(GetURLModule.self, ["url": .string(url + "/files/tool.tgz"), "dest": .string(dest),
                                                                          "checksum": .string(Self.sha256), "mode": "0640"])
            #expect(try host.read(dest) == Self.payload)
            #expect(try host.sh("stat -c %a \(dest)") == "640\n")
            #expect(result.values["dest"] == .string(dest))
            #expect(result.values["status_code"] == 200)
            #expect(result.values["checksum_src"] == .string(try host.sh("sha1sum < \(dest) | cut -d' ' -f1").trimmingCharacters(in: .whitespacesAndNewlines)))
            #expect(result.values["checksum_dest"] == .null)
            #expect(result.values["mode"] == "0640")
            // The server's copy changes; the file on the host has the checksum asked for: nothing is fetched.
            try host.sh("echo newer > \(host.root)/tool.tgz")
            let kept = try await host.run(GetURLModule.self, ["url": .string(url + "/files/tool.tgz"), "dest": .string(dest), "checksum": .string(Self.sha256)])
            #expect(!kept.changed && kept.values["msg"] == "file already exists")
            // Only the mode differs: that is the change, predicted in check mode.
            let predicted = try await host.run(GetURLModule.self, ["url": .string(url + "/files/tool.tgz"), "dest": .string(dest),
                                                                   "checksum": .string(Self.sha256), "mode": "0600"], .check)
            #expect(predicted.changed && predicted.values["msg"] == "file already exists but file attributes changed")
            #expect(try host.sh("stat -c %a \(dest)") == "640\n")
        }
    }

    @Test func anExistingFileIsKeptWithoutForceAndReplacedWithIt() async throws {
        try await Self.withServer { host, url in
            try host.sh("echo served > \(host.root)/a.txt; echo local > \(host.root)/dest.txt")
            let arguments: OrderedDictionary<String, Value> = ["url": .string(url + "/files/a.txt"), "dest": .string(host.root + "/dest.txt")]
            let kept = try await host.run(GetURLModule.self, arguments)
            #expect(!kept.changed)
            #expect(try host.read(host.root + "/dest.txt") == "local\n")
            var forced = arguments
            forced["force"] = true
            let replaced = try await host.run(GetURLModule.self, forced)
            #expect(replaced.changed)
            #expect(try host.read(host.root + "/dest.txt") == "served\n")
            #expect(replaced.values["checksum_dest"] != replaced.values["checksum_src"])
            let same = try await host.run(GetURLModule.self, forced)
            #expect(!same.changed, "force fetches again, but the same bytes are no change")
        }
    }

    @Test func aWrongChecksumFailsAndLeavesNothing() async throws {
        try await Self.withServer { host, url in
            try host.sh("echo other > \(host.root)/b.txt && mkdir \(host.root)/out")
            let result = try await host.run(GetURLModule.self, ["url": .string(url + "/files/b.txt"), "dest": .string(host.root + "/out/b.txt"),
                                                                "checksum": .string(Self.sha256)])
            #expect(result.failed && !result.changed)
            #expect(result.message?.contains("did not match") == true, "\(result.message ?? "")")
            #expect(try host.sh("ls -A \(host.root)/out") == "")
        }
    }

    @Test func aMismatchingExistingFileIsReplaced() async throws {
        try await Self.withServer { host, url in
            try host.sh("printf '\(Self.payload.replacingOccurrences(of: "\n", with: "\\n"))' > \(host.root)/c.txt; echo stale > \(host.root)/dest")
            let result = try await host.run(GetURLModule.self, ["url": .string(url + "/files/c.txt"), "dest": .string(host.root + "/dest"),
                                                                "checksum": .string(Self.sha256)])
            #expect(result.changed && !result.failed, "\(result.message ?? "")")
            #expect(try host.read(host.root + "/dest") == Self.payload)
        }
    }

    @Test func aDirectoryDestTakesTheNameFromTheAnswerOrTheURL() async throws {
        try await Self.withServer { host, url in
            try host.sh("echo d > \(host.root)/pkg-1.0.deb && mkdir \(host.root)/dl")
            let byURL = try await host.run(GetURLModule.self, ["url": .string(url + "/files/pkg-1.0.deb"), "dest": .string(host.root + "/dl")])
            #expect(byURL.changed && byURL.values["dest"] == .string(host.root + "/dl/pkg-1.0.deb"))
            let again = try await host.run(GetURLModule.self, ["url": .string(url + "/files/pkg-1.0.deb"), "dest": .string(host.root + "/dl")])
            #expect(!again.changed)
            let named = try await host.run(GetURLModule.self, ["url": .string(url + "/disposition"), "dest": .string(host.root + "/dl/")])
            #expect(named.values["dest"] == .string(host.root + "/dl/named.txt"))
            #expect(try host.read(host.root + "/dl/named.txt") == "named content\n")
        }
    }

    @Test func aChecksumFileAtAURL() async throws {
        try await Self.withServer { host, url in
            let hex = String(Self.sha256.dropFirst(7))
            try host.sh("""
                printf '\(Self.payload.replacingOccurrences(of: "\n", with: "\\n"))' > \(host.root)/app.bin
                printf '0000  other.bin\\n\(hex) *app.bin\\n' > \(host.root)/SHA256SUMS
                """)
            let arguments: OrderedDictionary<String, Value> = ["url": .string(url + "/files/app.bin"), "dest": .string(host.root + "/app"),
                                                               "checksum": .string("sha256:" + url + "/files/SHA256SUMS")]
            try await host.expectConverges(GetURLModule.self, arguments)
            #expect(try host.read(host.root + "/app") == Self.payload)
        }
    }

    @Test func aFailedRequestSaysItsStatus() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(GetURLModule.self, ["url": .string(url + "/files/none"), "dest": .string(host.root + "/x")])
            #expect(result.failed && result.message == "Request failed")
            #expect(result.values["status_code"] == 404)
            #expect(result.values["response"] == "HTTP Error 404: Not Found")
        }
    }

    @Test func badChecksumArgumentsAreRefused() async throws {
        try await Self.withServer { host, url in
            await #expect(throws: (any Error).self) {
                _ = try await host.run(GetURLModule.self, ["url": .string(url + "/json"), "dest": .string(host.root + "/x"), "checksum": "nocolon"])
            }
            await #expect(throws: (any Error).self) {
                _ = try await host.run(GetURLModule.self, ["url": .string(url + "/json"), "dest": .string(host.root + "/x"), "checksum": "crc32:abcd"])
            }
        }
    }
}
