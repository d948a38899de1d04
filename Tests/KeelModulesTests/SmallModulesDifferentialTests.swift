import Foundation
import KeelBase
import KeelTransport
import OrderedCollections
import Testing
@testable import KeelModules

/// ping, getent, find and archive give what Ansible's give for the same arguments on the same machine
/// (Ansible with `-c local`, Keel through a local connection).
@Suite("ping, getent, find and archive match Ansible") struct SmallModulesDifferentialTests {
    static func keel<M: Module>(_ module: M.Type, _ arguments: OrderedDictionary<String, Value>) async throws -> (result: ModuleResult, values: Value) {
        let result = try await ModuleRunner(module).run(arguments, at: nil, on: HostContext(name: "localhost", connection: LocalConnection()), mode: .apply)
        return (result, .dict(result.values))
    }

    static func sorted(_ v: Value?) -> String { v.map { $0.jsonString(sortedKeys: true) } ?? "nil" }

    static func directory() throws -> String {
        let path = NSTemporaryDirectory() + "keel-small-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func sh(_ script: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw KeelError("`\(script)` failed") }
    }

    @Test func pingMatches() async throws {
        let oracle = try AnsibleOracle.run(module: "ping", arguments: ["data": "hello"])
        let ours = try await Self.keel(PingModule.self, ["data": "hello"])
        #expect(ours.values["ping"] == oracle.result["ping"])
        #expect(ours.result.changed == oracle.changed)
    }

    @Test(arguments: [
        ["database": "passwd", "key": "root"],
        ["database": "group"],
        ["database": "passwd", "key": "no-such-user-keel", "fail_key": "false"],
        ["database": "hosts", "key": "localhost"],
        ["database": "passwd", "key": "root", "split": "x"],
    ])
    func getentMatches(_ raw: [String: String]) async throws {
        var arguments: OrderedDictionary<String, Value> = [:]
        for key in ["database", "key", "split", "fail_key"] { if let v = raw[key] { arguments[key] = v == "false" ? false : .string(v) } }
        let oracle = try AnsibleOracle.run(module: "getent", arguments: arguments)
        let ours = try await Self.keel(GetentModule.self, arguments)
        #expect(Self.sorted(ours.values["ansible_facts"]) == Self.sorted(oracle.result["ansible_facts"]), "\(raw)")
        #expect(ours.result.failed == oracle.failed)
    }

    @Test func getentFailsLikeAnsibleOnAMissingKey() async throws {
        let arguments: OrderedDictionary<String, Value> = ["database": "passwd", "key": "no-such-user-keel"]
        let oracle = try AnsibleOracle.run(module: "getent", arguments: arguments)
        #expect(oracle.failed)
        do {
            let ours = try await Self.keel(GetentModule.self, arguments)
            #expect(ours.result.failed)
            #expect(ours.result.message == oracle.result["msg"]?.stringValue)
        } catch let failure as ModuleFailure {
            #expect(failure.message == oracle.result["msg"]?.stringValue)
        }
    }

    /// A tree with files, hidden names, a subdirectory, a link and varied sizes and modes.
    static func findTree() throws -> String {
        let root = try directory()
        try sh("""
            cd \(root) && mkdir -p sub/deeper .hidden-dir empty && printf 'hello\\nworld\\n' > a.txt && printf 'x' > b.log \
              && head -c 5000 /dev/zero > big.bin && printf 'needle here\\n' > sub/c.txt && printf 'no\\n' > sub/deeper/d.txt \
              && echo h > .hidden && echo in > .hidden-dir/visible.txt && ln -s a.txt link.txt && chmod 600 b.log \
              && touch -d '2020-01-01' a.txt
            """)
        return root
    }

    static let findFields = ["path", "mode", "isdir", "isreg", "islnk", "uid", "gid", "pw_name", "gr_name", "size", "inode", "dev", "nlink",
                             "rusr", "wusr", "xusr", "roth", "isuid", "checksum"]

    @Test(arguments: [
        [:],
        ["recurse": "true"],
        ["recurse": "true", "hidden": "true"],
        ["recurse": "true", "file_type": "any"],
        ["recurse": "true", "file_type": "directory", "hidden": "true"],
        ["file_type": "link"],
        ["patterns": "*.txt", "recurse": "true"],
        ["patterns": "^[ab]\\..*$", "use_regex": "true"],
        ["recurse": "true", "excludes": "c.*"],
        ["recurse": "true", "contains": "needle"],
        ["recurse": "true", "size": "1k"],
        ["recurse": "true", "size": "-10"],
        ["recurse": "true", "age": "52w"],
        ["recurse": "true", "depth": "2"],
        ["mode": "0600"],
        ["recurse": "true", "get_checksum": "true"],
        ["recurse": "true", "limit": "2"],
    ])
    func findMatches(_ raw: [String: String]) async throws {
        let root = try Self.findTree()
        defer { try? FileManager.default.removeItem(atPath: root) }
        var arguments: OrderedDictionary<String, Value> = ["paths": [.string(root), .string(root + "/nothere")]]
        for (key, value) in raw.sorted(by: { $0.key < $1.key }) {
            arguments[key] = value == "true" ? .bool(true) : (key == "depth" || key == "limit") ? .int(Int(value)!) : .string(value)
        }
        let oracle = try AnsibleOracle.run(module: "find", arguments: arguments)
        let ours = try await Self.keel(FindModule.self, arguments)
        for field in ["matched", "examined", "msg", "skipped_paths", "changed"] {
            #expect(Self.sorted(ours.values[field] ?? (field == "changed" ? .bool(ours.result.changed) : nil)) == Self.sorted(oracle.result[field]),
                    "\(raw) \(field)")
        }
        let theirs = oracle.result["files"]?.listValue ?? [], mine = ours.values["files"]?.listValue ?? []
        #expect(mine.map { $0["path"] } == theirs.map { $0["path"] }, "\(raw) paths in order")
        for (a, b) in zip(mine, theirs) {
            for field in Self.findFields { #expect(Self.sorted(a[field]) == Self.sorted(b[field]), "\(raw) \(b["path"]?.stringValue ?? "") \(field)") }
            if case .double(let x)? = a["mtime"], case .double(let y)? = b["mtime"] { #expect(abs(x - y) < 0.001) }
        }
    }

    @Test(arguments: [
        ["format": "gz", "dir": "true"],
        ["format": "zip", "dir": "true"],
        ["format": "bz2", "single": "true"],
        ["format": "tar", "glob": "true", "exclude": "true"],
        ["format": "xz", "dir": "true", "patterns": "*.log"],
        ["format": "gz", "missing": "true"],
    ])
    func archiveMatches(_ raw: [String: String]) async throws {
        let base = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: base) }
        var results: [String: (values: Value, changed: Bool, listing: String)] = [:]
        for side in ["ansible", "keel"] {
            let root = base + "/" + side
            try Self.sh("mkdir -p \(root)/src/sub && cd \(root)/src && echo one > one.txt && echo two > sub/two.txt && echo log > sub/x.log && echo other > other.cfg")
            var arguments: OrderedDictionary<String, Value> = ["format": .string(raw["format"]!)]
            let ext = raw["format"] == "tar" ? "tar" : raw["format"] == "zip" ? "zip" : "tar.\(raw["format"]!)"
            if raw["dir"] != nil { arguments["path"] = [.string(root + "/src")]; arguments["dest"] = .string("\(root)/out.\(ext)") }
            if raw["single"] != nil { arguments["path"] = [.string(root + "/src/one.txt")] }
            if raw["glob"] != nil { arguments["path"] = [.string(root + "/src/*.txt"), .string(root + "/src/*.cfg")]; arguments["dest"] = .string("\(root)/out.\(ext)") }
            if raw["exclude"] != nil { arguments["exclude_path"] = [.string(root + "/src/other.cfg")] }
            if let p = raw["patterns"] { arguments["exclusion_patterns"] = [.string(p)] }
            if raw["missing"] != nil { arguments["path"] = [.string(root + "/src/one.txt"), .string(root + "/src/gone.txt")]; arguments["dest"] = .string("\(root)/out.\(ext)") }
            let values: Value, changed: Bool
            if side == "ansible" {
                let oracle = try AnsibleOracle.run(module: "community.general.archive", arguments: arguments)
                values = oracle.result; changed = oracle.changed
            } else {
                let ours = try await Self.keel(ArchiveModule.self, arguments)
                values = ours.values; changed = ours.result.changed
            }
            let dest = values["dest"]?.stringValue ?? ""
            let listing: String
            if raw["format"] == "zip" {
                listing = try Self.output("unzip -Z1 \(dest)")
            } else if raw["single"] != nil {
                listing = try Self.output("bzip2 -dc \(dest)")
            } else {
                listing = try Self.output("tar -tf \(dest) | sed 's:/$::'")
            }
            results[side] = (try Value.parseJSON(values.jsonString().replacingOccurrences(of: "/\(side)/", with: "/SIDE/")), changed, listing)
        }
        let theirs = try #require(results["ansible"]), ours = try #require(results["keel"])
        #expect(ours.changed == theirs.changed, "\(raw) changed")
        for field in ["archived", "dest", "dest_state", "arcroot", "missing", "expanded_paths", "expanded_exclude_paths"] {
            #expect(Self.sorted(ours.values[field]) == Self.sorted(theirs.values[field]), "\(raw) \(field)")
        }
        #expect(ours.listing == theirs.listing, "\(raw) members")
    }

    static func output(_ script: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", script]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
