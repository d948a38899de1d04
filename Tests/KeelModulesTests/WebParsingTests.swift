import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// The pure pieces of uri, get_url, getent, find and archive, without a host.
@Suite("HTTP, getent, find and archive parsing") struct WebParsingTests {
    @Test func statusCodesAreCoercedAsAnsibleDoes() throws {
        let one = try URIModule.arguments(["url": "http://x", "status_code": "201"])
        #expect(one.status_code == [201])
        let list = try URIModule.arguments(["url": "http://x", "status_code": [200, "204"]])
        #expect(list.status_code == [200, 204])
        #expect(throws: (any Error).self) { try URIModule.arguments(["url": "http://x", "status_code": "ok"]) }
    }

    @Test func formBodiesAreEncodedLikePythonsURLEncode() throws {
        #expect(try FormURLEncoding.encode(["a": "x y", "b": [1, 2], "c": nil, "d": true]) == "a=x+y&b=1&b=2&d=True")
        #expect(try FormURLEncoding.encode([["k", "é/&"]]) == "k=%C3%A9%2F%26")
        #expect(try FormURLEncoding.encode("as=is") == "as=is")
    }

    @Test func jsonBodiesHavePythonsSeparators() {
        #expect(PythonJSONBody.dumps(["a": [1, 2.5, nil, true], "é": "x"]) == #"{"a": [1, 2.5, null, true], "\u00e9": "x"}"#)
    }

    @Test func aResponseWithARedirectAndAnInterimContinue() throws {
        let headers = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 302 Found\r\nLocation: /next\r\nSet-Cookie: a=1; Path=/\r\n\r\nHTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\nX-Dup: 1\r\nX-Dup: 2\r\nContent-Length: 2\r\n\r\n"
        let body = "{}"
        let output = Data("KEEL-HTTP curl 0 \(headers.utf8.count) 0 \(body.utf8.count) -\n\(headers)\(body)".utf8)
        let response = try HostHTTPResponse.parse(output, requestURL: "http://h:8/start")
        #expect(response.hops.map(\.status) == [302, 200])
        #expect(response.finalURL == "http://h:8/next")
        #expect(response.body == Data(body.utf8))
        let exchange = HostHTTPExchange(response: response)
        let values = exchange.values(requestURL: "http://h:8/start")
        #expect(values["redirected"] == true)
        #expect(values["x_dup"] == "1, 2")
        #expect(values["msg"] == "OK (2 bytes)")
        #expect(values["cookies"] == ["a": "1"])
        #expect(exchange.isJSON)
    }

    @Test func noAnswerIsStatusMinusOne() throws {
        let message = "curl: (7) Failed to connect"
        let response = try HostHTTPResponse.parse(Data("KEEL-HTTP curl 7 0 \(message.utf8.count) 0 -\n\(message)".utf8), requestURL: "http://h/")
        #expect(response.status == -1)
        #expect(response.ansibleInfo(requestURL: "http://h/")["msg"] == .string("Request failed: \(message)"))
    }

    @Test func passwordsInURLsAreMasked() {
        #expect(HostHTTPRequest.masked("https://u:secret@h/p") == "https://u:********@h/p")
        #expect(!HostHTTPRequest(url: "https://u:secret@h/p", password: "pw").description.contains("secret"))
    }

    @Test func secretsStayOffTheCommandLine() {
        let request = HostHTTPRequest(url: "http://h/", headers: [["Authorization", "Bearer tok"]], username: "u", password: "pw", forceBasicAuth: true)
        #expect(!request.script().contains("tok") && !request.script().contains("pw"))
        #expect(request.curlConfig().contains("Authorization: Bearer tok"))
        #expect(request.wgetConfig().contains("http_password = pw"))
    }

    @Test func checksumFilesAreReadLikeSha256sumOutput() {
        let text = "aaa  other.tgz\nbbb *tool.tgz\n"
        #expect(GetURLModule.digest(for: "tool.tgz", in: text) == "bbb")
        #expect(GetURLModule.digest(for: "x", in: "ccc\n") == "ccc")
        #expect(GetURLModule.digest(for: "missing", in: text) == nil)
        #expect(GetURLModule.urlFileName("http://h/a/b.tar.gz?x=1") == "b.tar.gz")
        #expect(GetURLModule.urlFileName("http://h/") == "index.html")
    }

    @Test func getentSplitsAsPythonDoes() {
        let tree = GetentModule.parse("root:x:0:0:root:/root:/bin/bash\nroot:x:0:0:again:/:/bin/sh\n", split: ":")
        #expect(tree["root"] == [["x", "0", "0", "root", "/root", "/bin/bash"], ["x", "0", "0", "again", "/", "/bin/sh"]])
        #expect(GetentModule.parse("127.0.0.1   localhost  lh\n", split: nil) == ["127.0.0.1": ["localhost", "lh"]])
    }

    @Test func fnmatchPatternsAsPythonTranslatesThem() throws {
        let matcher = try NameMatcher(patterns: ["*.log", "a?c", "[!x]*.txt"], excludes: ["secret*"], regex: false)
        #expect(matcher.matches("app.log") && matcher.matches("abc") && matcher.matches("b.txt"))
        #expect(!matcher.matches("xb.txt") && !matcher.matches("secret.log") && !matcher.matches("app.log.1"))
        let regex = try NameMatcher(patterns: ["ap+"], excludes: [], regex: true)
        #expect(regex.matches("app.log") && !regex.matches("my-app"), "matched from the start, not the whole name")
    }

    @Test func archiveRootsAreAnsiblesCommonPath() {
        #expect(ArchiveSources.commonRoot(["/a/b/dir"]) == "/a/b/")
        #expect(ArchiveSources.commonRoot(["/a/b/x.txt", "/a/c/y.txt"]) == "/a/")
        #expect(ArchiveSources.commonRoot(["/a/bc/x", "/a/bd/y"]) == "/a/")
        #expect(ArchiveSources.commonRoot(["/file"]) == "/")
        #expect(ArchiveSources.globWord("/srv/my dir/*.conf") == #"/srv/my\ dir/*.conf"#)
        #expect(ArchiveSources.globWord("/a/$(x)'") == #"/a/\$\(x\)\'"#)
        #expect(ArchiveModule.isArchiveName("/b/x.TAR.GZ") && !ArchiveModule.isArchiveName("/b/x.gz"))
    }
}
