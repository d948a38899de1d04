import Crypto
import Foundation
import KeelBase
import KeelTransport

/// What a host has at a path, read in one round trip: type, permissions, ownership, size, link target,
/// and optionally the content's SHA-256 (and the content itself when it is small, for diffs).
public struct RemotePath: Sendable, Equatable {
    public enum Kind: String, Sendable { case absent, file, directory, link, other }

    public var kind: Kind
    public var mode: Int = 0
    public var owner: String = ""
    public var group: String = ""
    public var size: Int = 0
    public var uid: Int = -1
    public var gid: Int = -1
    public var linkTarget: String?
    public var sha256: String?
    /// The current content, when asked for and no larger than the limit.
    public var content: Data?

    /// The script observing a path (PathObservation, which also says what it prints): one line
    /// `kind|mode|owner|group|size|uid|gid` (or `absent`), the link target (or an empty line), and for a
    /// regular file its content when asked for and no larger than the limit, or else its SHA-256 when asked
    /// for. A batch of the engine's lookahead answers many of them at once.
    static func observationScript(_ path: String, checksum: Bool, contentLimit: Int) -> String {
        PathObservation(.path(path), checksum: checksum, contentLimit: contentLimit).script
    }

    /// The same for a path given as a shell word (quoted text, or a variable such as "$d"), inside a bigger script.
    static func observationScript(shellWord p: String, checksum: Bool, contentLimit: Int) -> String {
        PathObservation.observationScript(shellWord: p, checksum: checksum, contentLimit: contentLimit)
    }

    /// Parses what `observationScript` printed.
    static func parse(_ output: Data) throws -> RemotePath {
        guard let firstNewline = output.firstIndex(of: 0x0A) else {
            throw KeelError("unexpected observation output: \(String(decoding: output.prefix(200), as: UTF8.self))")
        }
        let header = String(decoding: output[output.startIndex..<firstNewline], as: UTF8.self)
        if header == "absent" { return RemotePath(kind: .absent) }
        let fields = header.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, let mode = Int(fields[1], radix: 8) else {
            throw KeelError("unexpected observation output: \(header)")
        }
        guard let kind = Kind(rawValue: fields[0]) else { throw KeelError("unexpected observation output: \(header)") }
        var result = RemotePath(kind: kind, mode: mode, owner: fields[2], group: fields[3],
                                size: Int(fields[4]) ?? 0, uid: Int(fields[5]) ?? -1, gid: Int(fields[6]) ?? -1)
        let rest = output[(firstNewline + 1)...]
        let linkEnd = rest.firstIndex(of: 0x0A) ?? rest.endIndex
        let link = String(decoding: rest[rest.startIndex..<linkEnd], as: UTF8.self)
        if result.kind == .link { result.linkTarget = link }
        guard linkEnd < rest.endIndex else { return result }
        let afterLink = rest[(linkEnd + 1)...]
        let contentMarker = Data("content\n".utf8), checksumMarker = Data("sha256 ".utf8)
        if afterLink.starts(with: contentMarker) {
            let content = Data(afterLink.dropFirst(contentMarker.count))
            result.content = content
            result.sha256 = hexString(SHA256.hash(data: content))
        } else if afterLink.starts(with: checksumMarker) {
            let line = String(decoding: afterLink.dropFirst(checksumMarker.count), as: UTF8.self)
            result.sha256 = line.split(separator: " ", maxSplits: 1).first.map(String.init)
        }
        return result
    }

    public static func observe(_ path: String, on host: HostContext, checksum: Bool = false, contentLimit: Int = 0) async throws -> RemotePath {
        let result = try await host.runChecked(observationScript(path, checksum: checksum, contentLimit: contentLimit), failure: "cannot inspect \(path)")
        return try parse(result.stdout)
    }

    /// True when `owner` (a name or a numeric uid) is who owns the path.
    public func isOwned(by owner: String) -> Bool { owner == self.owner || Int(owner) == uid }
    public func isGrouped(in group: String) -> Bool { group == self.group || Int(group) == gid }

    /// Octal as Ansible reports modes ("0644").
    public static func octal(_ mode: Int) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
