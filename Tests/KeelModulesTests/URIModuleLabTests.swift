import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// uri on a real lab host: the request leaves from the host (curl there) to a server in the host's own
/// network namespace; results are Ansible's fields; never changed except for a dest written; skipped in
/// check mode.
@Suite("uri on a lab host") struct URIModuleLabTests {
    /// A lab host with the test server running in it.
    static func withServer(_ body: (LabModuleHost, String) async throws -> Void) async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        let server = try WebTestServer.start(onLabHost: host.lab.name, root: host.root)
        defer { server.stop() }
        try await body(host, server.url)
    }

    @Test func aJSONAnswerIsParsedAndNothingChanges() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(URIModule.self, ["url": .string(url + "/json")])
            #expect(!result.failed, "\(result.message ?? "")")
            #expect(!result.changed)
            #expect(result.values["status"] == 200)
            #expect(result.values["json"]?["ok"] == true)
            #expect(result.values["json"]?["items"] == ["a", "b"])
            #expect(result.values["content_type"] == "application/json")
            #expect(result.values["url"] == .string(url + "/json"))
            #expect(result.values["redirected"] == false)
            #expect(result.values["msg"]?.stringValue?.hasPrefix("OK (") == true)
            #expect(result.values["content"] == nil, "content only with return_content")
            let again = try await host.run(URIModule.self, ["url": .string(url + "/json")])
            #expect(!again.changed)
            let head = try await host.run(URIModule.self, ["url": .string(url + "/json"), "method": "HEAD", "return_content": true])
            #expect(head.values["status"] == 200 && head.values["content"] == "" && head.values["content_type"] == "application/json")
            let check = try await host.run(URIModule.self, ["url": .string(url + "/json")], .check)
            #expect(check.skipped && !check.changed)
        }
    }

    @Test func aJSONBodyIsEncodedAndAPostIsNotAChange() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(URIModule.self, [
                "url": .string(url + "/echo"), "method": "POST", "body_format": "json",
                "body": ["name": "web1", "ports": [80, 443]], "headers": ["X-Trace": "t-1"], "return_content": true,
            ])
            #expect(!result.failed, "\(result.message ?? "")")
            #expect(!result.changed, "Ansible 2.19 reports a change only when dest is written")
            let echo = try #require(result.values["json"])
            #expect(echo["method"] == "POST")
            #expect(echo["headers"]?["content-type"] == "application/json")
            #expect(echo["headers"]?["x-trace"] == "t-1")
            #expect(echo["headers"]?["user-agent"] == "ansible-httpget")
            #expect(try Value.parseJSON(echo["body"]?.stringValue ?? "") == ["name": "web1", "ports": [80, 443]])
            #expect(result.values["content"]?.stringValue?.contains("\"method\": \"POST\"") == true)
        }
    }

    @Test func aFormBodyIsURLEncodedAsPythonDoes() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(URIModule.self, [
                "url": .string(url + "/echo"), "method": "PUT", "body_format": "form-urlencoded",
                "body": ["q": "a b&c", "tag": ["x", "y"], "none": nil],
            ])
            #expect(result.values["json"]?["body"] == "q=a+b%26c&tag=x&tag=y")
            #expect(result.values["json"]?["headers"]?["content-type"] == "application/x-www-form-urlencoded")
            #expect(result.values["json"]?["method"] == "PUT")
        }
    }

    @Test func anUnexpectedStatusFailsWithAnsiblesMessage() async throws {
        try await Self.withServer { host, url in
            let failed = try await host.run(URIModule.self, ["url": .string(url + "/status/404")])
            #expect(failed.failed && !failed.changed)
            #expect(failed.message == "Status code was 404 and not [200]: HTTP Error 404: Not Found")
            #expect(failed.values["status"] == 404)
            let accepted = try await host.run(URIModule.self, ["url": .string(url + "/status/404"), "status_code": [200, 404], "return_content": true])
            #expect(!accepted.failed)
            #expect(accepted.values["content"] == "status 404\n")
            #expect(accepted.values["msg"] == "HTTP Error 404: Not Found")
            let json = try await host.run(URIModule.self, ["url": .string(url + "/problem+json"), "status_code": 422])
            #expect(json.values["json"] == ["error": "bad"], "a +json type is JSON")
        }
    }

    @Test func redirectsAreFollowedForGetAndReportedOtherwise() async throws {
        try await Self.withServer { host, url in
            let followed = try await host.run(URIModule.self, ["url": .string(url + "/redirect")])
            #expect(followed.values["status"] == 200)
            #expect(followed.values["url"] == .string(url + "/json"))
            #expect(followed.values["redirected"] == true)
            let kept = try await host.run(URIModule.self, ["url": .string(url + "/redirect"), "follow_redirects": "none", "status_code": 302])
            #expect(!kept.failed, "\(kept.message ?? "")")
            #expect(kept.values["status"] == 302)
            #expect(kept.values["location"] == .string(url + "/json"), "location is made absolute, as Ansible's urljoin")
            let post = try await host.run(URIModule.self, ["url": .string(url + "/redirect"), "method": "POST", "status_code": 302])
            #expect(post.values["status"] == 302, "safe follows GET and HEAD only")
        }
    }

    @Test func basicAuthWithAndWithoutAChallenge() async throws {
        try await Self.withServer { host, url in
            let forced = try await host.run(URIModule.self, ["url": .string(url + "/auth"), "url_username": "alice", "url_password": "s3cret",
                                                             "force_basic_auth": true])
            #expect(forced.values["json"] == ["user": "alice"], "\(forced.message ?? "")")
            let challenged = try await host.run(URIModule.self, ["url": .string(url + "/auth"), "user": "alice", "password": "s3cret"])
            #expect(challenged.values["status"] == 200)
            let wrong = try await host.run(URIModule.self, ["url": .string(url + "/auth"), "user": "alice", "password": "nope", "force_basic_auth": true])
            #expect(wrong.failed && wrong.values["status"] == 401)
        }
    }

    @Test func cookiesAndRepeatedHeaders() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(URIModule.self, ["url": .string(url + "/cookies")])
            #expect(result.values["cookies"] == ["session": "abc123", "theme": "dark"])
            #expect(result.values["cookies_string"] == "session=abc123; theme=dark")
            #expect(result.values["set_cookie"] == "session=abc123; Path=/, theme=dark; Path=/")
        }
    }

    @Test func aDestIsWrittenOnceAndKeptAfterwards() async throws {
        try await Self.withServer { host, url in
            try host.sh("printf 'payload\\n' > \(host.root)/source.txt && mkdir -p \(host.root)/out")
            let dest = host.root + "/out/copy.txt"
            let arguments: OrderedDictionary<String, Value> = ["url": .string(url + "/files/source.txt"), "dest": .string(dest), "mode": "0600"]
            let first = try await host.run(URIModule.self, arguments)
            #expect(first.changed && !first.failed, "\(first.message ?? "")")
            #expect(first.values["path"] == .string(dest))
            #expect(try host.read(dest) == "payload\n")
            #expect(try host.sh("stat -c %a \(dest)") == "600\n")
            let again = try await host.run(URIModule.self, arguments)
            #expect(!again.changed, "the same bytes are not a change")
            let intoDirectory = try await host.run(URIModule.self, ["url": .string(url + "/disposition"), "dest": .string(host.root + "/out")])
            #expect(intoDirectory.values["path"] == .string(host.root + "/out/named.txt"))
            #expect(try host.read(host.root + "/out/named.txt") == "named content\n")
            #expect(try host.sh("ls -A \(host.root)/out") == "copy.txt\nnamed.txt\n", "no temporary file is left")
        }
    }

    @Test func aSourceFileIsTheBody() async throws {
        try await Self.withServer { host, url in
            try host.sh("printf 'from the host\\n' > '\(host.root)/body file.txt'")
            let remote = try await host.run(URIModule.self, ["url": .string(url + "/echo"), "method": "PUT", "src": .string(host.root + "/body file.txt"),
                                                             "remote_src": true])
            #expect(remote.values["json"]?["body"] == "from the host\n", "\(remote.message ?? "")")
            #expect(remote.values["json"]?["method"] == "PUT")
            let controllerFile = NSTemporaryDirectory() + "keel-uri-src-\(UUID().uuidString)"
            try "from the controller\n".write(toFile: controllerFile, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(atPath: controllerFile) }
            let local = try await host.run(URIModule.self, ["url": .string(url + "/echo"), "method": "POST", "src": .string(controllerFile)])
            #expect(local.values["json"]?["body"] == "from the controller\n")
            await #expect(throws: (any Error).self) {
                _ = try await host.run(URIModule.self, ["url": .string(url + "/echo"), "method": "POST", "src": "/nonexistent", "remote_src": true])
            }
            #expect(throws: (any Error).self) { try ModuleRunner(URIModule.self).validate(["url": "http://x", "body": "a", "src": "/b"], at: nil) }
        }
    }

    @Test func createsSkipsTheRequest() async throws {
        try await Self.withServer { host, url in
            let result = try await host.run(URIModule.self, ["url": .string(url + "/status/500"), "creates": .string(host.root)])
            #expect(!result.failed && !result.changed)
            #expect(result.values["stdout"] == .string("skipped, since \(host.root) exists"))
        }
    }

    @Test func aTimeoutAndARefusedConnectionAreStatusMinusOne() async throws {
        try await Self.withServer { host, url in
            let slow = try await host.run(URIModule.self, ["url": .string(url + "/slow"), "timeout": 1])
            #expect(slow.failed && slow.values["status"] == -1)
            let refused = try await host.run(URIModule.self, ["url": "http://127.0.0.1:1/"])
            #expect(refused.failed && refused.values["status"] == -1)
            #expect(refused.message?.hasPrefix("Status code was -1 and not [200]: Request failed: ") == true, "\(refused.message ?? "")")
        }
    }

    @Test func untilFriendlyRegisteredStatus() async throws {
        // `until: result.status == 200` reads status from a failed attempt too.
        try await Self.withServer { host, url in
            let down = try await host.run(URIModule.self, ["url": .string(url + "/status/503")])
            #expect(down.failed && down.values["status"] == 503)
        }
    }

    @Test func argumentsAreCheckedBeforeAnyRequest() throws {
        #expect(throws: (any Error).self) { try ModuleRunner(URIModule.self).validate(["url": "http://x", "body_format": "yaml"], at: nil) }
        #expect(throws: (any Error).self) { try ModuleRunner(URIModule.self).validate(["method": "GET"], at: nil) }
    }
}
