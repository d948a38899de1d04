import KeelBase
import KeelTransport

/// `archive:` of the git module: `git archive` of the checked-out version into a file whose format
/// follows its extension, replaced only when its bytes differ (git's own tar and gzip are
/// deterministic for one commit, so an unchanged checkout gives an identical archive).
public struct GitArchive: Sendable, Codable, Equatable {
    public var path: String
    public var format: String
    public var prefix: String?

    static let formats: [(suffix: String, format: String)] = [(".tar.gz", "tar.gz"), (".tgz", "tgz"), (".zip", "zip"), (".tar", "tar"), (".gz", "tar.gz")]

    init(path: String, prefix: String?) throws {
        guard let format = Self.formats.first(where: { path.hasSuffix($0.suffix) })?.format else {
            throw KeelError("archive: cannot tell the format of \(path): expected a name ending in .tar, .tar.gz, .tgz or .zip")
        }
        self.path = path
        self.format = format
        self.prefix = prefix
    }

    /// The `git archive` command line; to stdout when `output` is nil.
    func command(output: String?, version: String) -> String {
        var words = ["git", "archive", "--format", format]
        if let prefix { words += ["--prefix", prefix] }
        if let output { words += ["--output", output] }
        words.append(version)
        return words.map(ShellQuote.quote).joined(separator: " ")
    }
}
