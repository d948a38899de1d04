import Foundation
import KeelBase
import KeelTransport

/// assemble's fragments on the host (remote_src: true): the regular files directly in `src` (links to
/// files count, as Python's os.path.isfile follows them), read in the round trip that observes dest. With a
/// `regexp`, which is Python's and so matched here, the names come first and the chosen files are read in
/// a second round trip.
struct RemoteFragments {
    /// The fragments in Ansible's order (sorted by name), and what dest is now.
    var fragments: [(name: String, content: Data)]
    var current: RemotePath

    static func observe(src: String, dest: String, regexp: PythonRegex?, ignoreHidden: Bool, on host: HostContext) async throws -> RemoteFragments {
        let globs = ignoreHidden ? #""$s"/*"# : #""$s"/* "$s"/.[!.]* "$s"/..?*"#
        let script = """
            s=\(ShellQuote.quote(src))
            if [ ! -e "$s" ]; then echo missing
            elif [ ! -d "$s" ]; then echo file
            else
              echo directory
              for f in \(globs); do
                if [ -f "$f" ]; then printf '%s\\0' "${f##*/}"\(regexp == nil ? "; " + emitContent : ""); fi
              done
            fi
            printf '\\0'
            """ + "\n" + RemotePath.observationScript(dest, checksum: true, contentLimit: ContentConvergence.diffLimit)
        let result = try await host.runChecked(script, failure: "cannot read the fragments in \(src)")
        var reader = Reader(data: result.stdout)
        switch reader.line() {
        case "directory": break
        case "missing": throw KeelError("\(host.name): source \(src) does not exist", expected: "a directory of fragments on the host", found: "nothing")
        case "file": throw KeelError("\(host.name): source \(src) is not a directory", expected: "a directory of fragments on the host", found: "a file")
        default: throw KeelError("\(host.name): unexpected output while listing \(src)")
        }
        var fragments: [(name: String, content: Data)] = []
        while let name = try reader.name() {
            if let regexp {
                if regexp.matches(name) { fragments.append((name, Data())) }
            } else {
                fragments.append((name, try reader.content()))
            }
        }
        let current = try RemotePath.parse(reader.rest)
        if regexp != nil, !fragments.isEmpty {
            fragments = try await read(fragments.map(\.name), in: src, on: host)
        }
        fragments.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        return RemoteFragments(fragments: fragments, current: current)
    }

    /// Prints the size of "$f", its bytes, and a marker that shows the size was right (a file that changed
    /// while being read fails instead of shifting every later fragment).
    static let emitContent = #"n=$(wc -c < "$f") || exit 3; printf '%s\n' $n; head -c $n < "$f" || exit 3; printf '\nKEEL\n'"#

    static func read(_ names: [String], in src: String, on host: HostContext) async throws -> [(name: String, content: Data)] {
        let script = """
            s=\(ShellQuote.quote(src))
            for f in \(names.map { ShellQuote.quote($0) }.joined(separator: " ")); do
              printf '%s\\0' "$f"; f="$s/$f"; \(emitContent)
            done
            printf '\\0'
            """
        let result = try await host.runChecked(script, failure: "cannot read the fragments in \(src)")
        var reader = Reader(data: result.stdout)
        var fragments: [(name: String, content: Data)] = []
        while let name = try reader.name() { fragments.append((name, try reader.content())) }
        return fragments
    }

    /// Walks the script's output: a status line, NUL-terminated names (an empty one ends the list), each
    /// maybe followed by "size\n", the bytes and "\nKEEL\n".
    struct Reader {
        var data: Data
        var position: Data.Index

        init(data: Data) {
            self.data = data
            position = data.startIndex
        }

        var rest: Data { Data(data[position...]) }

        mutating func line() -> String? { field(ending: 0x0A) }

        mutating func name() throws -> String? {
            guard let name = field(ending: 0) else { throw KeelError("the fragment listing ended early") }
            return name.isEmpty ? nil : name
        }

        mutating func content() throws -> Data {
            guard let sizeText = line(), let size = Int(sizeText), size >= 0, data.endIndex - position >= size else {
                throw KeelError("unexpected output while reading a fragment")
            }
            let content = Data(data[position..<position + size])
            position += size
            let marker = Data("\nKEEL\n".utf8)
            guard data[position...].starts(with: marker) else { throw KeelError("a fragment changed while it was read; run again") }
            position += marker.count
            return content
        }

        private mutating func field(ending terminator: UInt8) -> String? {
            guard let end = data[position...].firstIndex(of: terminator) else { return nil }
            let text = String(decoding: data[position..<end], as: UTF8.self)
            position = end + 1
            return text
        }
    }
}
