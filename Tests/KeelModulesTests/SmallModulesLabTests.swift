import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// ping, getent, find and archive on a real lab host: the reading modules never change anything and
/// say the same in check mode; archive converges (check mode predicts, the real run writes, a second
/// run and a second check do nothing).
@Suite("ping, getent, find and archive on a lab host") struct SmallModulesLabTests {
    @Test func pingAnswers() async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        let result = try await host.run(PingModule.self, [:])
        #expect(result.values["ping"] == "pong" && !result.changed)
        #expect(try await host.run(PingModule.self, ["data": "x"], .check).values["ping"] == "x")
        await #expect(throws: (any Error).self) { _ = try await host.run(PingModule.self, ["data": "crash"]) }
    }

    @Test func getentReadsTheHostsDatabases() async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        try host.sh("getent passwd keelweb >/dev/null || useradd -M -d /srv/keelweb -s /bin/sh keelweb")
        let result = try await host.run(GetentModule.self, ["database": "passwd", "key": "keelweb"])
        let entry = try #require(result.values["ansible_facts"]?["getent_passwd"]?["keelweb"]?.listValue)
        #expect(entry.count == 6 && entry[4] == "/srv/keelweb" && entry[5] == "/bin/sh")
        #expect(!result.changed)
        let check = try await host.run(GetentModule.self, ["database": "passwd", "key": "keelweb"], .check)
        #expect(check.values == result.values)
        let missing = try await host.run(GetentModule.self, ["database": "group", "key": "no-such-group", "fail_key": false])
        #expect(missing.values["ansible_facts"]?["getent_group"] == ["no-such-group": nil])
    }

    @Test func findListsWithoutChanging() async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        try host.sh("cd \(host.root) && mkdir -p logs/old && echo a > logs/a.log && echo b > logs/old/b.log && echo c > logs/c.txt && touch -d 2020-01-01 logs/old/b.log")
        let arguments: OrderedDictionary<String, Value> = ["paths": .string(host.root + "/logs"), "patterns": "*.log", "recurse": true, "age": "30d"]
        let before = try host.snapshot()
        let result = try await host.run(FindModule.self, arguments)
        #expect(!result.changed && result.values["matched"] == 1)
        #expect(result.values["files"]?.listValue?.first?["path"] == .string(host.root + "/logs/old/b.log"))
        #expect(result.values["files"]?.listValue?.first?["pw_name"] == "root")
        let check = try await host.run(FindModule.self, arguments, .check)
        #expect(check.values["files"] == result.values["files"])
        #expect(try host.snapshot() == before)
    }

    @Test(arguments: ["gz", "zip", "xz"])
    func anArchiveConvergesAndFollowsItsSources(_ format: String) async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        try host.sh("cd \(host.root) && mkdir -p site/css && echo '<h1>' > site/index.html && echo 'body{}' > site/css/app.css && mkdir out")
        let dest = "\(host.root)/out/site.\(format == "zip" ? "zip" : "tar.\(format)")"
        let arguments: OrderedDictionary<String, Value> = ["path": .string(host.root + "/site"), "dest": .string(dest), "format": .string(format), "mode": "0600"]
        let made = try await host.expectConverges(ArchiveModule.self, arguments)
        #expect(made.values["dest_state"] == "archive")
        #expect(try host.sh("stat -c %a \(dest)") == "600\n")
        let listing = format == "zip" ? "unzip -Z1 \(dest) | sort" : "tar -tf \(dest) | sort"
        #expect(try host.sh(listing) == "site/css/\nsite/css/app.css\nsite/index.html\n")
        // A source changes: the archive is rewritten once, then stable again.
        try host.sh("echo '<h2>' > \(host.root)/site/index.html")
        try await host.expectConverges(ArchiveModule.self, arguments)
        let content = format == "zip" ? "unzip -p \(dest) site/index.html" : "tar -xOf \(dest) site/index.html"
        #expect(try host.sh(content) == "<h2>\n")
        #expect(try host.sh("ls -A \(host.root)/out") == "site.\(format == "zip" ? "zip" : "tar.\(format)")\n", "no temporary file is left")
    }

    @Test func aSingleFileIsCompressedAndRemovedOnce() async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        try host.sh("printf 'log line\\n' > \(host.root)/app.log")
        let arguments: OrderedDictionary<String, Value> = ["path": .string(host.root + "/app.log"), "remove": true]
        let result = try await host.expectConverges(ArchiveModule.self, arguments)
        #expect(result.values["dest"] == .string(host.root + "/app.log.gz"))
        #expect(result.values["dest_state"] == "compress")
        #expect(try host.sh("gzip -dc \(host.root)/app.log.gz") == "log line\n")
        #expect(try host.sh("[ ! -e \(host.root)/app.log ] && echo gone") == "gone\n")
    }

    @Test func archiveRefusesWhatAnsibleRefuses() async throws {
        let host = try await LabModuleHost.make(prefix: "web")
        try host.sh("mkdir -p \(host.root)/tree && echo x > \(host.root)/tree/x")
        let noDest = try? await host.run(ArchiveModule.self, ["path": .string(host.root + "/tree")])
        #expect(noDest == nil || noDest?.failed == true)
        let inside = try? await host.run(ArchiveModule.self, ["path": .string(host.root + "/tree"), "dest": .string(host.root + "/tree/t.tgz"), "remove": true])
        #expect(inside == nil || inside?.failed == true)
        #expect(try host.sh("ls \(host.root)/tree") == "x\n")
    }
}
