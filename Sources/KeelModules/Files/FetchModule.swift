import Crypto
import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `fetch`: a copy of a host's file on the controller, under dest/<inventory_hostname>/<path> (or
/// exactly at dest with flat), compared by SHA-1 on both sides so an unchanged file is not transferred
/// again (ansible.builtin.fetch). The "host" this module changes is the controller.
public struct FetchModule: Module {
    public static let name = "fetch"
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Copy a file from the host to the controller",
        description: """
            Observes the host's file (SHA-1) and the controller's copy in one round trip, and transfers only when \
            they differ. The controller's file is written atomically (temporary file + rename), its directories made \
            as needed. Returns dest, checksum, remote_checksum, md5sum, remote_md5sum.
            """,
        examples: """
            - fetch: src=/etc/ssh/ssh_host_ed25519_key.pub dest=fetched/
              # -> fetched/web1/etc/ssh/ssh_host_ed25519_key.pub
            - fetch:
                src: /var/backups/db.sql.gz
                dest: backups/{{ inventory_hostname }}.sql.gz
                flat: true
            """,
        deviations: ["fetch reads the file with `cat` over the command channel: with become it reads as the become user (no separate become for the transfer)."])

    public struct Arguments: ModuleArguments {
        @Option("src", .string, required: true, help: "The file on the host (a file, not a directory).") var src: String
        @Option("dest", .string, required: true, help: "Directory on the controller (relative paths: from the playbook's directory); with flat, the file's path (or a directory ending in /).") var dest: String
        @Option("flat", .bool, default: false, help: "Put the file at dest itself instead of dest/<inventory_hostname>/<src>.") var flat: Bool
        @Option("fail_on_missing", .bool, default: true, help: "Fail when src does not exist on the host (false: report ok and fetch nothing).") var fail_on_missing: Bool
        @Option("validate_checksum", .bool, default: true, help: "Check that what arrived has the checksum the host reported.") var validate_checksum: Bool

        public init() {}
    }

    public struct State: Equatable, Sendable {
        enum Remote: Equatable, Sendable { case missing, directory, file(sha1: String, md5: String) }
        var remote: Remote
        var localPath: String
        var localSHA1: String?
    }

    /// Copy the host's `source` to the controller's `destination`, checking it arrived as observed.
    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var source: String
        var destination: String
        /// The SHA-1 the host reported, checked against what arrived when validate_checksum is on.
        var expectedSHA1: String?

        public var description: String { "fetch \(source) to \(destination) on the controller" }
    }

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let p = ShellQuote.quote(a.src)
        let result = try await host.run("""
            if [ -d \(p) ]; then echo directory; elif [ ! -e \(p) ]; then echo missing
            else echo "file $(sha1sum < \(p) | cut -d' ' -f1) $(md5sum < \(p) | cut -d' ' -f1)"; fi
            """)
        let words = result.stdoutText.split(whereSeparator: \.isWhitespace).map(String.init)
        let remote: State.Remote
        switch words.first {
        case "directory": remote = .directory
        case "missing": remote = .missing
        case "file" where words.count == 3: remote = .file(sha1: words[1], md5: words[2])
        default:
            throw KeelError("\(host.name): cannot read \(a.src): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let local = localPath(a, on: host)
        let localSHA1 = FileManager.default.contents(atPath: local).map { Self.hex(Insecure.SHA1.hash(data: $0)) }
        return State(remote: remote, localPath: local, localSHA1: localSHA1)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var values: OrderedDictionary<String, Value> = ["dest": .string(observed.localPath), "file": .string(a.src)]
        switch observed.remote {
        case .directory:
            throw KeelError("remote file \(a.src) is a directory, fetch cannot work on directories")
        case .missing:
            if a.fail_on_missing { throw KeelError("the remote file \(a.src) does not exist", expected: "an existing file, or fail_on_missing: false") }
            values["msg"] = "the remote file does not exist, not transferring, ignored"
            return .unchanged(values: values)
        case .file(let sha1, let md5):
            values["remote_checksum"] = .string(sha1)
            values["remote_md5sum"] = .string(md5)
            values["checksum"] = .string(sha1)
            if observed.localSHA1 == sha1 { return .unchanged(values: values) }
            let step = Step(source: a.src, destination: observed.localPath, expectedSHA1: a.validate_checksum ? sha1 : nil)
            return Plan(steps: [step], diffs: [Diff(label: observed.localPath, before: observed.localSHA1.map { "sha1: \($0)\n" } ?? "",
                                                      after: "sha1: \(sha1)\n")], values: values)
        }
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let step = plan.steps[0]
        let data = try await host.connection.download(step.source, become: host.become)
        let sha1 = Self.hex(Insecure.SHA1.hash(data: data))
        if let expected = step.expectedSHA1, sha1 != expected {
            throw KeelError("checksum mismatch fetching \(step.source): the file changed while it was read", expected: expected, found: sha1)
        }
        let dest = step.destination
        let directory = (dest as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: dest), options: .atomic)
        return .changed(["checksum": .string(sha1), "md5sum": .string(Self.hex(Insecure.MD5.hash(data: data)))])
    }

    /// dest/<inventory_hostname>/<src> or, with flat, dest (dest/<basename> when dest ends in /).
    func localPath(_ a: Arguments, on host: HostContext) -> String {
        var base = a.dest
        if !base.hasPrefix("/") {
            let root = host.files.searchPaths.last ?? FileManager.default.currentDirectoryPath
            base = root + "/" + base
        }
        if a.flat {
            return base.hasSuffix("/") ? base + (a.src as NSString).lastPathComponent : base
        }
        let relative = a.src.drop { $0 == "/" }
        return (base.hasSuffix("/") ? base : base + "/") + host.name + "/" + relative
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        hexString(digest)
    }
}
