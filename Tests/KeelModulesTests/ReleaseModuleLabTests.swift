import Foundation
import KeelBase
import KeelTestSupport
import OrderedCollections
import Testing
@testable import KeelModules

/// The release module on a lab host: the atomic switch under a reader, validation, rollback, pruning.
@Suite("release directories on a lab host", .serialized) struct ReleaseModuleLabTests {
    /// A release layout with releases r1..rN, each with VERSION "release rK".
    func layout(_ host: LabModuleHost, releases: Int) throws -> String {
        let path = "\(host.root)/app-\(UUID().uuidString.prefix(6))"
        var script = "mkdir -p \(path)/shared/log && printf 'SECRET=1\\n' > \(path)/shared/.env\n"
        for k in 1...releases { script += "mkdir -p \(path)/releases/r\(k) && printf 'release r\(k)\\n' > \(path)/releases/r\(k)/VERSION\n" }
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
        let host = try await GitLab.shared.lab().client
        let path = try layout(host, releases: 3)
        _ = try await host.run(ReleaseModule.self, switched(path, "r1"))
        // A bounded request loop on the host (at most 500000 reads; it stops when told): each read goes
        // through current, as a web server's would.
        try host.sh("""
            cd \(path) && rm -f stop reads.log finished
            nohup sh -c 'i=0; while [ $i -lt 500000 ] && [ ! -e stop ]; do cat current/VERSION 2>/dev/null || echo MISSING; i=$((i+1)); done > reads.log; touch finished' >/dev/null 2>&1 </dev/null &
            # The switches start once the reader reads.
            for i in $(seq 300); do [ -s reads.log ] && exit 0; sleep 0.1; done; exit 1
            """)
        var switches = 0
        for round in 0..<4 {
            for release in ["r2", "r3", "r1"] {
                let result = try await host.run(ReleaseModule.self, switched(path, release))
                #expect(result.changed && !result.failed, "round \(round) to \(release): \(result.message ?? "")")
                switches += 1
            }
        }
        try host.sh("touch \(path)/stop; for i in $(seq 100); do [ -e \(path)/finished ] && exit 0; sleep 0.1; done; exit 1")
        let reads = try host.sh("cat \(path)/reads.log").split(separator: "\n").map(String.init)
        let seen = Dictionary(grouping: reads, by: { $0 }).mapValues(\.count)
        #expect(!reads.isEmpty)
        #expect(Set(seen.keys).isSubset(of: ["release r1", "release r2", "release r3"]), "a reader saw: \(seen)")
        #expect(seen.count >= 2, "the loop saw only \(seen) while \(switches) switches ran")
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

    @Test func keepRemovesOldReleasesButNeverTheCurrentOrThePreviousOne() async throws {
        let host = try await GitLab.shared.lab().client
        let path = try layout(host, releases: 5)
        for release in ["r1", "r2", "r3", "r4"] { _ = try await host.run(ReleaseModule.self, switched(path, release, ["keep": 5])) }
        let predicted = try await host.run(ReleaseModule.self, switched(path, "r5", ["keep": 0]), .check)
        #expect(predicted.values["removed_releases"] == ["r3", "r2", "r1"])
        #expect(try host.sh("ls \(path)/releases | tr '\\n' ' '") == "r1 r2 r3 r4 r5 ", "check mode removed releases")
        let pruned = try await host.run(ReleaseModule.self, switched(path, "r5", ["keep": 0]))
        #expect(pruned.changed && !pruned.failed, "\(pruned.message ?? "")")
        #expect(try host.sh("ls \(path)/releases | tr '\\n' ' '") == "r4 r5 ")
        let rolledBack = try await host.run(ReleaseModule.self, ["path": .string(path), "state": "rollback"])
        #expect(!rolledBack.failed && rolledBack.values["current_release"] == .string("r4"), "\(rolledBack.message ?? "")")
    }
}
