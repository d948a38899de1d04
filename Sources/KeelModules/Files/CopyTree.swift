import Foundation
import KeelBase
import KeelVault
import KeelTransport
import OrderedCollections

/// copy with `src` a directory on the controller: the tree is mirrored below dest (the directory
/// itself, or only its contents when src ends in /, as Ansible does). Files converge one by one as copy
/// converges a single file; missing directories are made with directory_mode. Every path of the tree is
/// observed in one round trip. Nothing on the host that is not in src is removed (Ansible does not either).
public struct CopyTree: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        var path: String
        var isDirectory: Bool
        var content: Data
        var current: RemotePath
        /// The controller-side file, for mode: preserve.
        var source: String
    }

    var entries: [Entry]

    /// The tree under `source` as host paths below `dest`.
    static func observe(source: String, sourceArgument: String, dest: String, on host: HostContext) async throws -> CopyTree {
        var base = dest.hasSuffix("/") ? String(dest.dropLast()) : dest
        if !sourceArgument.hasSuffix("/") { base += "/" + (source as NSString).lastPathComponent }
        var local: [(relative: String, isDirectory: Bool)] = [("", true)]
        let names = try FileManager.default.subpathsOfDirectory(atPath: source).sorted()
        for name in names {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: source + "/" + name, isDirectory: &isDirectory)
            local.append((name, isDirectory.boolValue))
        }
        var script = ""
        for (index, item) in local.enumerated() {
            let path = item.relative.isEmpty ? base : base + "/" + item.relative
            script += "echo KEEL_ENTRY \(index)\n"
            script += "(\n" + RemotePath.observationScript(path, checksum: !item.isDirectory, contentLimit: ContentConvergence.diffLimit) + "\n)\n"
        }
        let result = try await host.runChecked(script, failure: "cannot inspect \(base)")
        let observations = split(result.stdout, count: local.count)
        guard observations.count == local.count else { throw KeelError("\(host.name): unexpected observation of \(base)") }
        var entries: [Entry] = []
        for (index, item) in local.enumerated() {
            let path = item.relative.isEmpty ? base : base + "/" + item.relative
            var content = Data()
            if !item.isDirectory {
                guard let data = FileManager.default.contents(atPath: source + "/" + item.relative) else {
                    throw KeelError("cannot read \(source)/\(item.relative)")
                }
                content = try VaultedFile.plaintext(data, path: source + "/" + item.relative)
            }
            entries.append(Entry(path: path, isDirectory: item.isDirectory, content: content, current: try RemotePath.parse(observations[index]),
                                 source: source + "/" + item.relative))
        }
        return CopyTree(entries: entries)
    }

    /// Cuts the script's output at its "KEEL_ENTRY n" lines.
    static func split(_ output: Data, count: Int) -> [Data] {
        var parts: [Data] = []
        var rest = output[...]
        for index in 0..<count {
            let marker = Data("KEEL_ENTRY \(index)\n".utf8)
            guard let start = rest.firstRange(of: marker) else { return parts }
            rest = rest[start.upperBound...]
            let next = rest.firstRange(of: Data("KEEL_ENTRY \(index + 1)\n".utf8))?.lowerBound ?? rest.endIndex
            parts.append(Data(rest[rest.startIndex..<next]))
            rest = rest[next...]
        }
        return parts
    }

    func plan(attributes: FileAttributes, directoryMode: Value?, force: Bool, validate: String?, backup: Bool,
              values: OrderedDictionary<String, Value>) throws -> Plan<CopyStep> {
        var steps: [CopyStep] = []
        var diffs: [Diff] = []
        for entry in entries {
            if entry.isDirectory {
                switch entry.current.kind {
                case .directory: continue
                case .absent:
                    let directoryAttributes = FileAttributes(mode: directoryMode, owner: attributes.owner, group: attributes.group)
                    let changes = directoryAttributes.changes(for: RemotePath(kind: .absent, mode: 0), defaultMode: 0o755)
                        .filter { if case .mode = $0 { return directoryMode != nil }; return true }
                    steps.append(.makeDirectory(entry.path, changes))
                    diffs.append(Diff(label: entry.path, before: "", after: "(directory)\n"))
                default:
                    throw KeelError("\(entry.path) exists as a \(entry.current.kind.rawValue), not a directory")
                }
                continue
            }
            var fileAttributes = attributes
            fileAttributes.mode = FileAttributes.resolvingPreserve(attributes.mode, sourcePath: entry.source)
            var convergence = ContentConvergence(path: entry.path, current: entry.current, desired: entry.content,
                                                 attributes: fileAttributes, validate: validate, backup: backup)
            convergence.replaceExisting = force
            let plan = try convergence.plan(values: [:])
            steps += plan.steps.map { .content(entry.path, $0) }
            diffs += plan.diffs
        }
        return steps.isEmpty ? .unchanged(values: values) : Plan(steps: steps, diffs: diffs, values: values)
    }
}

/// One change copy makes: a directory of a copied tree, or a file's content or attributes.
public enum CopyStep: Sendable, Codable, Equatable, CustomStringConvertible {
    case makeDirectory(String, [AttributeChange])
    case content(String, ContentStep)

    public var description: String {
        switch self {
        case .makeDirectory(let path, let changes): return "make directory \(path)" + changes.map { ", \($0.diffLine)" }.joined()
        case .content(_, let step): return step.description
        }
    }

    /// Directories first (one round trip), then each file's steps as ContentConvergence applies them.
    static func apply(_ plan: Plan<CopyStep>, on host: HostContext) async throws -> Applied {
        var commands: [String] = []
        var files: OrderedDictionary<String, [ContentStep]> = [:]
        for step in plan.steps {
            switch step {
            case .makeDirectory(let path, let changes):
                commands.append("mkdir -p -- \(ShellQuote.quote(path))")
                commands += changes.map { $0.command(for: path) }
            case .content(let path, let contentStep):
                files[path, default: []].append(contentStep)
            }
        }
        if !commands.isEmpty {
            try await host.runChecked("set -e\n" + commands.joined(separator: "\n"), failure: "cannot make directories")
        }
        var values: OrderedDictionary<String, Value> = [:]
        for steps in files.values {
            for (key, value) in try await ContentConvergence.perform(steps, on: host) { values[key] = value }
        }
        return .changed(values)
    }
}
