import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// A host without curl: uri and get_url use GNU wget with the same results; a host with neither fails
/// with a message that says so. The lab host's root is a private overlay, so hiding curl there leaves
/// this machine alone; the host (its own prefix) is restored afterwards.
@Suite("uri and get_url without curl", .serialized) struct URIWithoutCurlLabTests {
    static func withHiddenTools(_ tools: [String], _ body: (LabModuleHost, String) async throws -> Void) async throws {
        let host = try await LabModuleHost.make(prefix: "webwget")
        let restore = "for t in curl wget; do if [ -e /usr/bin/$t.keel-hidden ]; then mv /usr/bin/$t.keel-hidden /usr/bin/$t; fi; done"
        try host.sh(restore)
        let server = try WebTestServer.start(onLabHost: host.lab.name, root: host.root)
        defer { server.stop(); _ = try? host.sh(restore) }
        for tool in tools { try host.sh("mv /usr/bin/\(tool) /usr/bin/\(tool).keel-hidden") }
        try await body(host, server.url)
    }

    @Test func wgetGivesTheSameResults() async throws {
        try await Self.withHiddenTools(["curl"]) { host, url in
            let json = try await host.run(URIModule.self, ["url": .string(url + "/redirect"), "return_content": true])
            #expect(!json.failed, "\(json.message ?? "")")
            #expect(json.values["status"] == 200)
            #expect(json.values["json"]?["ok"] == true)
            #expect(json.values["url"] == .string(url + "/json"))
            #expect(json.values["redirected"] == true)
            #expect(json.values["content_type"] == "application/json")
            let post = try await host.run(URIModule.self, ["url": .string(url + "/echo"), "method": "POST", "body_format": "json",
                                                           "body": ["a": 1], "headers": ["X-Trace": "w"]])
            #expect(post.values["json"]?["method"] == "POST")
            #expect(post.values["json"]?["body"] == "{\"a\": 1}")
            #expect(post.values["json"]?["headers"]?["x-trace"] == "w")
            let missing = try await host.run(URIModule.self, ["url": .string(url + "/status/404"), "status_code": 404, "return_content": true])
            #expect(!missing.failed && missing.values["content"] == "status 404\n")
            let auth = try await host.run(URIModule.self, ["url": .string(url + "/auth"), "user": "alice", "password": "s3cret", "force_basic_auth": true])
            #expect(auth.values["status"] == 200)
            try host.sh("printf 'by wget\\n' > \(host.root)/w.txt")
            let dest = host.root + "/w-copy.txt"
            let download = try await host.expectConverges(GetURLModule.self, ["url": .string(url + "/files/w.txt"), "dest": .string(dest)])
            #expect(download.values["status_code"] == 200)
            #expect(try host.read(dest) == "by wget\n")
        }
    }

    @Test func neitherToolIsAClearFailure() async throws {
        try await Self.withHiddenTools(["curl", "wget"]) { host, url in
            do {
                _ = try await host.run(URIModule.self, ["url": .string(url + "/json")])
                Issue.record("a host without an HTTP client must fail the task")
            } catch {
                #expect("\(error)".contains("neither curl nor GNU wget"), "\(error)")
            }
        }
    }
}
