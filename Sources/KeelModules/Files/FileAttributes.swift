import Foundation
import KeelBase
import KeelTransport

/// The mode/owner/group options shared by file, copy and template: what they ask for, what differs from
/// a path as observed, and the shell commands that fix it.
public struct FileAttributes: Sendable, Decodable {
    public var mode: Value?
    public var owner: String?
    public var group: String?

    public static let options: [OptionSpec] = [mode, owner, group]
    /// The options every file-writing module shares, declared here once: `@Option(FileAttributes.mode) var mode: Value?`.
    public static let mode = OptionSpec("mode", .mode, help: "Permissions: octal ('0644', quoted so YAML keeps it octal) or symbolic ('u=rw,g=r,o=').")
    public static let owner = OptionSpec("owner", .string, help: "User that should own the file (name or uid).")
    public static let group = OptionSpec("group", .string, help: "Group that should own the file (name or gid).")

    /// `mode: preserve` (copy, template) means the controller-side source file's mode.
    public static func resolvingPreserve(_ mode: Value?, sourcePath: String?) -> Value? {
        guard mode == .string("preserve") else { return mode }
        guard let sourcePath, let bits = try? FileManager.default.attributesOfItem(atPath: sourcePath)[.posixPermissions] as? Int else {
            return mode
        }
        return .string(String(bits & 0o7777, radix: 8))
    }

    /// The permission bits wanted for a path whose current bits are `current` (nil: leave as it is).
    public func wantedMode(current: Int, isDirectory: Bool) -> Int? {
        switch mode {
        case .int(let i)?: return FileMode.from(argument: i).resolve(current: current, isDirectory: isDirectory)
        case .string(let s)?: return FileMode.parse(s)?.resolve(current: current, isDirectory: isDirectory)
        default: return nil
        }
    }

    /// Changes needed on `observed` (an absent path counts as having nothing right).
    public func changes(for observed: RemotePath, defaultMode: Int = 0o644) -> [AttributeChange] {
        var changes: [AttributeChange] = []
        let exists = observed.kind != .absent
        let current = exists ? observed.mode : defaultMode
        if let wanted = wantedMode(current: current, isDirectory: observed.kind == .directory), !exists || wanted != observed.mode {
            changes.append(.mode(wanted))
        }
        if let owner, !exists || !observed.isOwned(by: owner) { changes.append(.owner(owner)) }
        if let group, !exists || !observed.isGrouped(in: group) { changes.append(.group(group)) }
        return changes
    }
}

public enum AttributeChange: Sendable, Equatable, Codable {
    case mode(Int)
    case owner(String)
    case group(String)

    /// The shell command applying this change to `path` (`-h`: links themselves, not their targets).
    public func command(for path: String, recursive: Bool = false, link: Bool = false) -> String {
        command(forShellWord: ShellQuote.quote(path), recursive: recursive, link: link)
    }

    /// The same, for a path given as a shell word (already quoted, or a variable such as "$tmp").
    public func command(forShellWord p: String, recursive: Bool = false, link: Bool = false) -> String {
        let r = recursive ? "-R " : ""
        switch self {
        case .mode(let m): return "chmod \(r)\(String(m, radix: 8)) -- \(p)"
        case .owner(let o): return "chown \(r)\(link ? "-h " : "")\(ShellQuote.quote(o)) -- \(p)"
        case .group(let g): return "chgrp \(r)\(link ? "-h " : "")\(ShellQuote.quote(g)) -- \(p)"
        }
    }

    public var diffLine: String {
        switch self {
        case .mode(let m): return "mode: \(RemotePath.octal(m))"
        case .owner(let o): return "owner: \(o)"
        case .group(let g): return "group: \(g)"
        }
    }
}
