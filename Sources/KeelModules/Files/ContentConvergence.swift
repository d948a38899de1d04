import Crypto
import Foundation
import KeelBase
import OrderedCollections

/// The shared plan of every module that decides a file's whole content (copy, template, lineinfile,
/// blockinfile, replace): write when the content differs (attributes go onto the temporary file, so the
/// file appears complete in one rename), otherwise fix only the attributes that differ.
public enum ContentStep: Sendable, Codable, Equatable, CustomStringConvertible {
    case write(FileWrite)
    case attribute(path: String, AttributeChange)

    public var description: String {
        switch self {
        case .write(let write): return write.description
        case .attribute(let path, let change): return "set \(change.diffLine) on \(path)"
        }
    }
}

public struct ContentConvergence: Sendable {
    public var path: String
    public var current: RemotePath
    public var desired: Data
    public var attributes: FileAttributes
    public var validate: String?
    public var backup: Bool
    /// False leaves an existing file's content alone (copy's force: false).
    public var replaceExisting = true
    /// Create a missing parent directory when writing (blockinfile's create: true does).
    public var createParentDirectories = false

    public init(path: String, current: RemotePath, desired: Data, attributes: FileAttributes, validate: String?, backup: Bool) {
        self.path = path
        self.current = current
        self.desired = desired
        self.attributes = attributes
        self.validate = validate
        self.backup = backup
    }

    public static let diffLimit = 64 * 1024

    public var desiredSHA256: String { hexString(SHA256.hash(data: desired)) }

    public func plan(values: OrderedDictionary<String, Value>) throws -> Plan<ContentStep> {
        if current.kind == .directory { throw KeelError("\(path) is a directory, not a file") }
        let exists = current.kind != .absent
        let contentDiffers = !exists || (replaceExisting && current.sha256 != desiredSHA256)
        var steps: [ContentStep] = []
        var diffs: [Diff] = []
        if contentDiffers {
            steps.append(.write(FileWrite(destination: path, content: desired, attributes: attributes.changes(for: RemotePath(kind: .absent)),
                                          validate: validate, backup: backup, createParentDirectories: createParentDirectories)))
            diffs.append(Diff(label: path, before: exists ? Self.text(current.content, size: current.size) : "",
                              after: Self.text(desired, size: desired.count)))
        } else {
            let changes = attributes.changes(for: current)
            steps += changes.map { ContentStep.attribute(path: path, $0) }
            if !changes.isEmpty {
                diffs.append(Diff(label: path, before: "mode: \(RemotePath.octal(current.mode))\nowner: \(current.owner)\ngroup: \(current.group)\n",
                                  after: changes.map(\.diffLine).joined(separator: "\n") + "\n"))
            }
        }
        return steps.isEmpty ? .unchanged(values: values) : Plan(steps: steps, diffs: diffs, values: values)
    }

    /// Carries out a content plan; returns `backup_file` when a backup was made.
    public static func apply(_ plan: Plan<ContentStep>, on host: HostContext) async throws -> Applied {
        .changed(try await perform(plan.steps, on: host))
    }

    /// Carries out content steps; returns `backup_file` when a backup was made.
    static func perform(_ steps: [ContentStep], on host: HostContext) async throws -> OrderedDictionary<String, Value> {
        var values: OrderedDictionary<String, Value> = [:]
        var commands: [String] = []
        var paths: [String] = []
        for step in steps {
            switch step {
            case .write(let write):
                if let backup = try await write.perform(on: host) { values["backup_file"] = .string(backup) }
            case .attribute(let path, let change):
                commands.append(change.command(for: path))
                if !paths.contains(path) { paths.append(path) }
            }
        }
        if !commands.isEmpty {
            try await host.runChecked("set -e\n" + commands.joined(separator: "\n"), failure: paths.joined(separator: ", "))
        }
        return values
    }

    /// Content as diff text: the text itself when it is small UTF-8, a summary otherwise.
    public static func text(_ data: Data?, size: Int) -> String {
        guard let data else { return "(\(size) bytes, not shown)\n" }
        if data.count > diffLimit { return "(\(data.count) bytes, not shown)\n" }
        guard let text = String(data: data, encoding: .utf8), !text.contains("\0") else { return "(binary, \(data.count) bytes)\n" }
        return text
    }
}
