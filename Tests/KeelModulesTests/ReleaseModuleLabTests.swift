import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// The release module on a lab host: the atomic switch under a reader, validation, rollback, pruning.
@Suite("release directories on a lab host", .serialized) struct ReleaseModuleLabTests {
    /// A release layout with releases r1..rN (or the ids given), each with VERSION "release ID".
    func layout(_ host: LabModuleHost, releases: Int, ids: [String]? = nil) throws -> String {
        let path = "\(host.root)/app-\(UUID().uuidString.prefix(6))"
        var script = "mkdir -p \(path)/shared/log && printf 'SECRET=1\\n' > \(path)/shared/.env\n"
        for id in ids ?? (1...releases).map({ "r\($0)" }) {
            script += "mkdir -p \(path)/releases/\(id) && printf 'release \(id)\\n' > \(path)/releases/\(id)/VERSION\n"
        }
        try host.sh(script)
        return path
    }

    func switched(_ path: String, _ release: String, _ extra: OrderedDictionary<String, Value> = [:]) -> OrderedDictionary<String, Value> {
        var arguments: OrderedDictionary<String, Value> = ["path": .string(path), "release": .string(release), "state": "switched",
                                                           "shared_files": [".env"], "shared_dirs": ["log"], "validate": "test -s VERSION"]
        for (key, value) in extra { arguments[key] = value }
        return arguments
    }

    @Test func aReaderThroughCurrentNeverSeesAMissingOrHalfSwitchedRelease() async throws {
        let git = try await GitLab.shared.lab()
        let host = git.client
        let path = try layout(host, releases: 3)
        _ = try await host.run(ReleaseModule.self, switched(path, "r1"))
        // Three bounded readers through current while it switches. On the host, `cat` as fast as the shell
        // goes (at most 500000 reads), and a Python loop opening current/VERSION without starting a process
        // per read (at most 20 million reads, 10 minutes): dense enough to land between the two system calls
        // of a switch that removes the link before making the new one. Over the network, from the other lab
        // host to this one's lab address (nothing else is asked), HTTP requests to a web server on this host
        // serving PATH, which resolves current on every request as a real one would (at most 20000 requests;
        // the server ends after 15 minutes at the latest). All stop when told.
        let port = 18000 + Int.random(in: 0..<1000)
        let url = "http://\(host.lab.address):\(port)/current/VERSION"
        let requests = "/tmp/keel-requests-\(port)"
        try host.sh("""
            cd \(path) && rm -f stop reads.log finished
            nohup sh -c 'i=0; while [ $i -lt 500000 ] && [ ! -e stop ]; do cat current/VERSION 2>/dev/null || echo MISSING; i=$((i+1)); done > reads.log; touch finished' >/dev/null 2>&1 </dev/null &
            nohup timeout 900 /usr/bin/python3 -m http.server \(port) --bind \(host.lab.address) --directory \(path) >/dev/null 2>&1 </dev/null &
            echo $! > http.pid
            cat > fast-reader.py <<'EOF'
            import collections, os
            seen, n = collections.Counter(), 0
            open("fast.started", "w").close()
            while n < 20000000 and (n % 1000 or not os.path.exists("stop")):
                try:
                    with open("current/VERSION") as f:
                        seen[f.read().strip()] += 1
                except OSError:
                    seen["MISSING"] += 1
                n += 1
            with open("fast.log", "w") as f:
                f.writelines(f"{value}\\t{count}\\n" for value, count in seen.items())
            open("fast.finished", "w").close()
            EOF
            rm -f fast.log fast.finished fast.started
            nohup timeout 600 /usr/bin/python3 fast-reader.py >/dev/null 2>&1 </dev/null &
            # The switches start once the readers read.
            for i in $(seq 300); do [ -s reads.log ] && [ -e fast.started ] && exit 0; sleep 0.1; done; exit 1
            """)
        try git.onServer("""
            rm -f \(requests).log \(requests).stop \(requests).finished
            # The loop starts once the server answers (before, curl would only find nothing listening).
            for i in $(seq 300); do curl -fsS --max-time 10 \(url) >/dev/null 2>&1 && break; sleep 0.1; done
            # A failed request is logged with curl's exit status (22: an HTTP error such as 404, 7: refused).
            nohup sh -c 'i=0; while [ $i -lt 20000 ] && [ ! -e \(requests).stop ]; do curl -fsS --max-time 10 \(url) 2>/dev/null || echo "FAILED curl exit $?"; i=$((i+1)); done > \(requests).log; touch \(requests).finished' >/dev/null 2>&1 </dev/null &
            # The switches start once a request was answered.
            for i in $(seq 300); do grep -q '^release' \(requests).log 2>/dev/null && exit 0; sleep 0.1; done; exit 1
            """)
        var switches = 0
        for round in 0..<4 {
            for release in ["r2", "r3", "r1"] {
                let answered = try git.onServer("wc -l < \(requests).log").trimmingCharacters(in: .whitespacesAndNewlines)
                let result = try await host.run(ReleaseModule.self, switched(path, release))
                #expect(result.changed && !result.failed, "round \(round) to \(release): \(result.message ?? "")")
                switches += 1
                // The requests see each new release before the next switch (so they see more than one).
                try git.onServer("for i in $(seq 600); do tail -n +\(Int(answered)! + 1) \(requests).log | grep -qx 'release \(release)' && exit 0; sleep 0.1; done; exit 1")
            }
        }
        try git.onServer("touch \(requests).stop; for i in $(seq 300); do [ -e \(requests).finished ] && exit 0; sleep 0.1; done; exit 1")
        try host.sh("""
            touch \(path)/stop; kill $(cat \(path)/http.pid)
            for i in $(seq 300); do [ -e \(path)/finished ] && [ -e \(path)/fast.finished ] && exit 0; sleep 0.1; done; exit 1
            """)
        // The fast reader counts what it saw (VALUE<TAB>COUNT): no release may be missing.
        let fast = Dictionary(uniqueKeysWithValues: try host.sh("cat \(path)/fast.log").split(separator: "\n").compactMap { line -> (String, Int)? in
            let fields = line.split(separator: "\t").map(String.init)
            return fields.count == 2 ? (fields[0], Int(fields[1]) ?? 0) : nil
        })
        #expect(Set(fast.keys).isSubset(of: ["release r1", "release r2", "release r3"]), "the fast reader saw: \(fast)")
        #expect(fast.count >= 2, "the fast reader saw only \(fast) while \(switches) switches ran")
        print("release switch readers: open() in a loop on the host: \(fast.values.reduce(0, +)) reads during \(switches) switches: \(fast)")
        let logs = [("cat on the host", try host.sh("cat \(path)/reads.log")),
                    ("HTTP requests from \(git.server.name)", try git.onServer("cat \(requests).log"))]
        for (reader, log) in logs {
            let reads = log.split(separator: "\n").map(String.init)
            let seen = Dictionary(grouping: reads, by: { $0 }).mapValues(\.count)
            #expect(!reads.isEmpty, "\(reader): no reads")
            #expect(Set(seen.keys).isSubset(of: ["release r1", "release r2", "release r3"]), "\(reader) saw: \(seen)")
            #expect(seen.count >= 2, "\(reader) saw only \(seen) while \(switches) switches ran")
            print("release switch readers: \(reader): \(reads.count) reads during \(switches) switches: \(seen)")
        }
        #expect(try host.sh("readlink \(path)/current") == "releases/r1\n")
        #expect(try host.sh("readlink \(path)/releases/r2/.env") == "\(path)/shared/.env\n")
    }

    @Test func switchingConvergesRollsBackInOneStepAndAFailingValidateLeavesCurrentAlone() async throws {
        let host = try await GitLab.shared.lab().client
        let path = try layout(host, releases: 3)
        try await host.expectConverges(ReleaseModule.self, switched(path, "r1"))
        let toR2 = try await host.expectConverges(ReleaseModule.self, switched(path, "r2"))
        #expect(toR2.values["previous_release"] == .string("r1"))
        #expect(try host.sh("readlink \(path)/current; readlink \(path)/releases/r2/log") == "releases/r2\n\(path)/shared/log\n")

        // Rollback: one task, back to the release before.
        let rollback: OrderedDictionary<String, Value> = ["path": .string(path), "state": "rollback"]
        let predicted = try await host.run(ReleaseModule.self, rollback, .check)
        #expect(predicted.changed && predicted.values["current_release"] == .string("r1"))
        #expect(try host.sh("readlink \(path)/current") == "releases/r2\n", "check mode rolled back")
        let rolledBack = try await host.run(ReleaseModule.self, rollback)
        #expect(rolledBack.changed && !rolledBack.failed, "\(rolledBack.message ?? "")")
        #expect(try host.sh("readlink \(path)/current") == "releases/r1\n")
        #expect(try host.sh("cut -d' ' -f2,3 \(path)/history") == "switch r1\nswitch r2\nrollback r1\n")
        // Nothing before r1: a second rollback has nowhere to go, and says so.
        let nowhere = await host.outcome(ReleaseModule.self, rollback)
        #expect(nowhere.failed && nowhere.message?.contains("cannot roll back") == true, "\(nowhere.message ?? "")")

        // A release whose validation fails is never switched to.
        try host.sh("rm \(path)/releases/r3/VERSION")
        for mode in [RunMode.check, .apply] {
            let failing = await host.outcome(ReleaseModule.self, switched(path, "r3"), mode)
            #expect(mode == .check ? failing.changed && !failing.failed : failing.failed, "\(mode): \(failing.message ?? "")")
        }
        #expect(try host.sh("readlink \(path)/current; cat \(path)/current/VERSION") == "releases/r1\nrelease r1\n")
        #expect(try host.sh("cut -d' ' -f2,3 \(path)/history | tail -n 1") == "rollback r1\n")
    }

    @Test func keepRemovesOldReleasesButNeverTheCurrentOrThePreviousOneAndRollbackNamesAnyRelease() async throws {
        let host = try await GitLab.shared.lab().client
        // Release ids as deploys name them: a commit, a tag, a timestamp.
        let (commit, tag, stamp) = ("3f2a9c1d0b7e", "v1.2.0", "20261207T034200Z")
        let path = try layout(host, releases: 5, ids: [commit, tag, stamp, "r4", "r5"])
        for release in [commit, tag, stamp, "r4"] { _ = try await host.run(ReleaseModule.self, switched(path, release, ["keep": 5])) }
        let predicted = try await host.run(ReleaseModule.self, switched(path, "r5", ["keep": 0]), .check)
        #expect(predicted.values["removed_releases"] == .list([stamp, tag, commit].map(Value.string)))
        #expect(try host.sh("ls \(path)/releases | LC_ALL=C sort | tr '\\n' ' '") == "\(stamp) \(commit) r4 r5 \(tag) ", "check mode removed releases")
        let pruned = try await host.run(ReleaseModule.self, switched(path, "r5", ["keep": 0]))
        #expect(pruned.changed && !pruned.failed, "\(pruned.message ?? "")")
        #expect(try host.sh("ls \(path)/releases | LC_ALL=C sort | tr '\\n' ' '") == "r4 r5 ")
        let rolledBack = try await host.run(ReleaseModule.self, ["path": .string(path), "state": "rollback"])
        #expect(!rolledBack.failed && rolledBack.values["current_release"] == .string("r4"), "\(rolledBack.message ?? "")")

        // A rollback to a named release: predicted, then done in one step; a release that is gone is refused.
        let named: OrderedDictionary<String, Value> = ["path": .string(path), "state": "rollback", "release": "r5"]
        let namedCheck = try await host.run(ReleaseModule.self, named, .check)
        #expect(namedCheck.changed && namedCheck.values["current_release"] == .string("r5"))
        #expect(try host.sh("readlink \(path)/current") == "releases/r4\n", "check mode rolled back")
        let toNamed = try await host.run(ReleaseModule.self, named)
        #expect(toNamed.changed && !toNamed.failed, "\(toNamed.message ?? "")")
        #expect(try host.sh("readlink \(path)/current; cat \(path)/current/VERSION") == "releases/r5\nrelease r5\n")
        let gone = await host.outcome(ReleaseModule.self, ["path": .string(path), "state": "rollback", "release": .string(tag)])
        #expect(gone.failed && gone.message?.contains("cannot roll back to \(tag)") == true, "\(gone.message ?? "")")
    }
}
