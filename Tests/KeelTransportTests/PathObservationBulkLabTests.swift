import Foundation
import Testing
import KeelTransport

/// Path observations answered in bulk (one stat, one cat for a whole batch; issue 22's CPU on the host)
/// give each observation exactly what its own script gives, over SSH to a lab host, for every kind of path
/// the file modules meet; anything the bulk form cannot carry falls back to the scripts, same answers.
@Suite("Path observations in bulk", .serialized) struct PathObservationBulkLabTests {
    static let setup = """
        rm -rf /tmp/pob; mkdir -p /tmp/pob/dir /tmp/pob/destdir /tmp/pob/linkdir-target
        printf 'small\\ncontent\\n' > /tmp/pob/small; chmod 640 /tmp/pob/small
        : > /tmp/pob/empty
        printf 'no newline at end' > /tmp/pob/nonl
        printf '\\000\\001binary\\377' > /tmp/pob/binary
        head -c 5000 /dev/zero | tr '\\0' 'x' > /tmp/pob/big
        ln -s /tmp/pob/small /tmp/pob/link-to-file
        ln -s /tmp/pob/linkdir-target /tmp/pob/link-to-dir
        ln -s /tmp/pob/missing /tmp/pob/dangling
        mkfifo /tmp/pob/fifo
        printf 'in dir\\n' > '/tmp/pob/destdir/name with space'
        printf 'x' > '/tmp/pob/odd\\name'
        chown nobody /tmp/pob/small
        """

    static let observations: [PathObservation] = {
        var all: [PathObservation] = []
        let paths = ["/tmp/pob/small", "/tmp/pob/empty", "/tmp/pob/nonl", "/tmp/pob/binary", "/tmp/pob/big", "/tmp/pob/dir",
                     "/tmp/pob/link-to-file", "/tmp/pob/link-to-dir", "/tmp/pob/dangling", "/tmp/pob/fifo", "/tmp/pob/absent",
                     "/tmp/pob/absent/below", "/tmp/pob/it's quoted"]
        for path in paths {
            all.append(PathObservation(.path(path), checksum: false, contentLimit: 0))
            all.append(PathObservation(.path(path), checksum: true, contentLimit: 0))
            all.append(PathObservation(.path(path), checksum: true, contentLimit: 100))
            all.append(PathObservation(.path(path), checksum: false, contentLimit: 100))
            all.append(PathObservation(.following(path), checksum: false, contentLimit: 0))
        }
        for (dest, name) in [("/tmp/pob/destdir", "name with space"), ("/tmp/pob/destdir/", "name with space"), ("/tmp/pob/small", "x"),
                             ("/tmp/pob/link-to-dir", "y"), ("/tmp/pob/new", "z"), ("/tmp/pob/destdir", "")] {
            all.append(PathObservation(.destination(dest: dest, name: name), checksum: true, contentLimit: 100))
        }
        return all
    }()

    @Test func eachAnswerIsWhatItsOwnScriptPrints() async throws {
        let host = try await LabTargets.hosts(1, prefix: "pob")[0]
        let connection = try await LabTargets.connect(host)
        let setup = try await connection.run(Self.setup)
        #expect(setup.status == 0, "setup: \(setup.stderrText)")
        let scripts = Self.observations.map(\.script)
        let alone = try await scripts.asyncMap { try await connection.run($0) }
        let before = try #require(connection.counters?.current)
        let batched = try #require(try await CommandBatch.run(scripts, become: nil, on: connection))
        let after = try #require(connection.counters?.current)
        #expect(after.roundTrips - before.roundTrips == 1, "answered in one exchange, not a fallback batch")
        #expect(batched.count == alone.count)
        for (index, (one, bulk)) in zip(alone, batched).enumerated() {
            #expect(one == bulk, "\(Self.observations[index]): alone \(one.stdoutText.debugDescription) \(one.stderrText), bulk \(bulk.stdoutText.debugDescription)")
        }
        // The bulk script itself ran (not the fallback): its answer holds together.
        let direct = try await connection.run(PathObservationBulk.script(Self.observations))
        #expect(PathObservationBulk.answers(Self.observations, from: direct) == alone)
    }

    /// A path the bulk form cannot carry (a backslash, which dash's echo would read) and reads that are not
    /// path observations: the same answers, in the order asked.
    @Test func whatTheBulkFormCannotCarryFallsBackToTheScripts() async throws {
        let host = try await LabTargets.hosts(1, prefix: "pob")[0]
        let connection = try await LabTargets.connect(host)
        _ = try await connection.run(Self.setup)
        let odd = PathObservation(.destination(dest: "/tmp/pob/odd\\name", name: "n"), checksum: true, contentLimit: 100)
        let plain = PathObservation(.path("/tmp/pob/small"), checksum: true, contentLimit: 100)
        let scripts = ["echo first; echo err >&2; exit 4", odd.script, plain.script, "printf 'last'"]
        let alone = try await scripts.asyncMap { try await connection.run($0) }
        let batched = try #require(try await CommandBatch.run(scripts, become: nil, on: connection))
        #expect(batched == alone)
        let direct = try await connection.run(PathObservationBulk.script([odd, plain]))
        #expect(PathObservationBulk.answers([odd, plain], from: direct) == nil, "the odd path makes the bulk answer give up")
    }
}
