import Foundation

/// Many PathObservations answered by one script: the paths are located and typed with shell builtins, one
/// `stat` reads them all, one `cat` prints every small file's content, and the controller cuts each
/// observation's answer out of that: exactly the bytes (and the status 0) its own script prints when it
/// succeeds. Anything unusual (a `stat` or `cat` that fails, a path with a newline or a backslash, which
/// `echo` would treat differently, a file that changed size in between) makes the answers nil, and the
/// observations then run their own scripts: the bulk form saves processes, never changes an answer.
///
/// Output: lines `F<i> <target>` (a followed link), `D<i> <path>` (a destination), `K<i> <kind>`,
/// `S<i> <mode|owner|group|size|uid|gid>`, `L<i> <link target>`, `H<i> <sha256sum output>`, or `X` (give
/// up), then a line `C` and the contents of the small files, in order, back to back.
public enum PathObservationBulk {
    /// The script answering every observation (all with the same become), in order.
    public static func script(_ observations: [PathObservation]) -> String {
        var lines = ["set -f"]
        let giveUpOnOddPath = #"case $p in *\\*|*'"# + "\n" + #"'*) echo X; exit 0;; esac"#
        for (i, observation) in observations.enumerated() {
            switch observation.locate {
            case .path(let path):
                lines.append("p\(i)=\(ShellQuote.quote(path))")
            case .following(let path):
                lines.append("p=\(ShellQuote.quote(path)); if [ -L \"$p\" ] && [ -e \"$p\" ]; then p=$(readlink -f -- \"$p\"); \(giveUpOnOddPath); printf 'F\(i) %s\\n' \"$p\"; fi; p\(i)=$p")
            case .destination(let dest, let name):
                let quotedName = ShellQuote.quote(name)
                lines.append("p=\(ShellQuote.quote(dest)); case \"$p\" in */) p=\"$p\"\(quotedName);; *) if [ -d \"$p\" ] && [ ! -L \"$p\" ] && [ -n \(quotedName) ]; then p=\"$p/\"\(quotedName); fi;; esac")
                lines.append("\(giveUpOnOddPath); printf 'D\(i) %s\\n' \"$p\"; p\(i)=$p")
            }
            lines.append("p=$p\(i); if [ -L \"$p\" ]; then k=link; elif [ -d \"$p\" ]; then k=directory; elif [ -f \"$p\" ]; then k=file; elif [ -e \"$p\" ]; then k=other; else k=absent; fi; k\(i)=$k; printf 'K\(i) %s\\n' \"$k\"")
        }
        // One stat for every path there is; its lines come back in the order of the paths.
        lines.append("set --")
        for i in observations.indices { lines.append("if [ \"$k\(i)\" != absent ]; then set -- \"$@\" \"$p\(i)\"; fi") }
        lines.append("st=; if [ $# -gt 0 ]; then st=$(stat -c '%a|%U|%G|%s|%u|%g' -- \"$@\") || { echo X; exit 0; }; fi")
        lines.append("IFS='\n'; set -- $st; unset IFS")
        for i in observations.indices { lines.append("if [ \"$k\(i)\" != absent ]; then s\(i)=$1; shift; printf 'S\(i) %s\\n' \"$s\(i)\"; fi") }
        // Link targets, checksums of files whose content does not travel, and the list of those whose content does.
        let newline = "'\n'"
        lines.append("set --")
        for (i, observation) in observations.enumerated() {
            lines.append("if [ \"$k\(i)\" = link ]; then if t=$(readlink -- \"$p\(i)\"); then case $t in *\(newline)*) echo X; exit 0;; esac; printf 'L\(i) %s\\n' \"$t\"; else echo X; exit 0; fi; fi")
            let checksum = "if h=$(sha256sum < \"$p\(i)\"); then printf 'H\(i) %s\\n' \"$h\"; else echo X; exit 0; fi"
            switch (observation.contentLimit > 0, observation.checksum) {
            case (true, _):
                lines.append("if [ \"$k\(i)\" = file ]; then z=${s\(i)#*|*|*|}; z=${z%%|*}; if [ \"$z\" -le \(observation.contentLimit) ] 2>/dev/null; then set -- \"$@\" \"$p\(i)\"; "
                             + (observation.checksum ? "else \(checksum); " : "") + "fi; fi")
            case (false, true):
                lines.append("if [ \"$k\(i)\" = file ]; then \(checksum); fi")
            case (false, false):
                break
            }
        }
        lines.append("echo C")
        lines.append("if [ $# -gt 0 ]; then cat -- \"$@\" || exit 0; fi")
        return lines.joined(separator: "\n")
    }

    /// Each observation's answer, as its own script would give it; nil when the bulk answer does not
    /// hold together (the observations then run on their own).
    public static func answers(_ observations: [PathObservation], from result: CommandResult) -> [CommandResult]? {
        guard result.stderr.isEmpty else { return nil }
        // The structured part: every line up to the `C` line (a line that is exactly "C").
        let stdout = result.stdout
        var lines: [Substring] = []
        var start = stdout.startIndex
        var contentOffset: Data.Index?
        while start < stdout.endIndex {
            guard let end = stdout[start...].firstIndex(of: 0x0A) else { return nil }
            let line = String(decoding: stdout[start..<end], as: UTF8.self)
            if line == "C" { contentOffset = end + 1; break }
            if line == "X" { return nil }
            lines.append(Substring(line))
            start = end + 1
        }
        guard let contentOffset else { return nil }
        var fields: [String: String] = [:]   // "K3" -> "file"
        for line in lines {
            guard let space = line.firstIndex(of: " ") else { return nil }
            let key = String(line[line.startIndex..<space])
            guard fields[key] == nil else { return nil }
            fields[key] = String(line[line.index(after: space)...])
        }
        let content = stdout[contentOffset...]
        var cursor = content.startIndex
        var answers: [CommandResult] = []
        for (i, observation) in observations.enumerated() {
            var out = Data()
            switch observation.locate {
            case .path: break
            case .following:
                if let target = fields["F\(i)"] { out += Data("KEEL_FOLLOWED \(target)\n".utf8) }
            case .destination:
                guard let path = fields["D\(i)"] else { return nil }
                out += Data((path + "\n").utf8)
            }
            guard let kind = fields["K\(i)"] else { return nil }
            if kind == "absent" {
                out += Data("absent\n".utf8)
                answers.append(CommandResult(status: 0, stdout: out, stderr: Data()))
                continue
            }
            guard let stat = fields["S\(i)"] else { return nil }
            let parts = stat.split(separator: "|", omittingEmptySubsequences: false)
            guard parts.count == 6, let size = Int(parts[3]) else { return nil }
            out += Data("\(kind)|\(stat)\n".utf8)
            if kind == "link" {
                guard let target = fields["L\(i)"] else { return nil }
                out += Data((target + "\n").utf8)
            } else {
                out += Data("\n".utf8)
            }
            if kind == "file" {
                if observation.contentLimit > 0, size <= observation.contentLimit {
                    guard content.distance(from: cursor, to: content.endIndex) >= size else { return nil }
                    let end = content.index(cursor, offsetBy: size)
                    out += Data("content\n".utf8) + content[cursor..<end]
                    cursor = end
                } else if observation.checksum {
                    guard let digest = fields["H\(i)"] else { return nil }
                    out += Data("sha256 \(digest)\n".utf8)
                }
            }
            answers.append(CommandResult(status: 0, stdout: out, stderr: Data()))
        }
        // Every byte of content belongs to one file: a file that grew between stat and cat shows here.
        guard cursor == content.endIndex else { return nil }
        return answers
    }
}
