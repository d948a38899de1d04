import Crypto
import Foundation
import KeelBase
import Synchronization

/// The files a task's apply writes, as its rehearsal records them (ChainedChange): what lets the tasks
/// after it in a chain be rehearsed from what their observation of those files will answer after it,
/// so ten edits of one file go ahead in one round trip. Only a prediction: every rehearsed read is
/// checked on the host before anything that was planned from it runs.
public final class WriteLog: Sendable {
    @TaskLocal public static var current: WriteLog?

    /// Content written to a path by an atomic replacement that keeps the old file's mode, owner and group
    /// unless told otherwise.
    public struct Write: Sendable, Equatable {
        public var path: String
        public var content: Data
        public var mode: Int?
        public var owner: String?
        public var group: String?

        public init(path: String, content: Data, mode: Int?, owner: String?, group: String?) {
            self.path = path
            self.content = content
            self.mode = mode
            self.owner = owner
            self.group = group
        }
    }

    private let log = Mutex<[Write]>([])

    public init() {}

    public func record(_ write: Write) { log.withLock { $0.append(write) } }

    public var writes: [Write] { log.withLock { $0 } }
}

extension PathObservation {
    /// What this observation answers after `write`, predicted from what it answered before (`before`);
    /// nil when that cannot be told (a new file, whose owner is whoever writes it; a link; an owner or
    /// group set by name, whose id is unknown here; an observation of another path).
    public func answer(after write: WriteLog.Write, before: CommandResult) -> CommandResult? {
        guard before.status == 0, before.stderr.isEmpty else { return nil }
        var text = before.stdout
        var prefix = Data()
        switch locate {
        case .path(let path):
            guard path == write.path else { return nil }
        case .destination:
            // The path it found comes first: the prediction holds for that same path.
            guard let end = text.firstIndex(of: 0x0A), String(decoding: text[..<end], as: UTF8.self) == write.path else { return nil }
            prefix = Data(text[...end])
            text = Data(text[(end + 1)...])
        case .following:
            return nil
        }
        // `file|mode|owner|group|size|uid|gid`, then an empty link line.
        guard let end = text.firstIndex(of: 0x0A), text.count > end + 1, text[end + 1] == 0x0A else { return nil }
        let fields = String(decoding: text[..<end], as: UTF8.self).split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count == 7, fields[0] == "file" else { return nil }
        if let owner = write.owner, owner != fields[2] { return nil }
        if let group = write.group, group != fields[3] { return nil }
        let mode = write.mode.map { String($0 & 0o7777, radix: 8) } ?? fields[1]
        var answer = prefix + Data("file|\(mode)|\(fields[2])|\(fields[3])|\(write.content.count)|\(fields[5])|\(fields[6])\n\n".utf8)
        if contentLimit > 0, write.content.count <= contentLimit {
            answer += Data("content\n".utf8) + write.content
        } else if checksum {
            answer += Data("sha256 \(hexString(SHA256.hash(data: write.content)))  -\n".utf8)
        }
        return CommandResult(status: 0, stdout: answer, stderr: Data())
    }

    /// The answers of the path observations of `write.path` after it: predicted where they can be, else
    /// forgotten (a task observing that path then is not rehearsed).
    public static func predict(_ known: inout [ReadRequest: CommandResult], after write: WriteLog.Write) {
        for (request, answer) in known {
            guard let observation = PathObservation.recognise(request.script) else { continue }
            let observed: String
            switch observation.locate {
            case .path(let path), .following(let path): observed = path
            case .destination:
                // The path it found is the first line of its answer.
                observed = String(decoding: answer.stdout.prefix { $0 != 0x0A }, as: UTF8.self)
            }
            // Other paths keep what they answered before (a parent directory's size may change: the host's
            // check of every rehearsed read catches what a prediction misses).
            guard observed == write.path else { continue }
            known[request] = observation.answer(after: write, before: answer)
        }
    }
}
