import Foundation
import KeelBase
import KeelTransport

/// What a controller-side archive holds, read with the controller's own tar (GNU tar detects the
/// compression) or zipinfo: each entry's path, kind, size, modification time (UTC seconds) and link
/// target. unarchive compares this with the host to decide whether extracting would change anything.
struct ArchiveListing: Sendable, Equatable {
    enum Format: String, Sendable, Codable { case tar, gzip, bzip2, xz, zstd, zip }
    /// A symlink's target is "" when the listing does not tell it (zip).
    enum Kind: Sendable, Equatable { case file, directory, symlink(String), hardlink }

    struct Entry: Sendable, Equatable {
        var path: String
        var kind: Kind
        var size: Int
        var mtime: Int
    }

    var format: Format
    var entries: [Entry]

    /// The format from the file's first bytes (not its name, which may lie).
    static func format(of data: Data) -> Format? {
        let bytes = [UInt8](data.prefix(512))
        func starts(_ magic: [UInt8]) -> Bool { bytes.starts(with: magic) }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0x42, 0x5a, 0x68]) { return .bzip2 }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        if starts([0x50, 0x4b, 0x03, 0x04]) || starts([0x50, 0x4b, 0x05, 0x06]) { return .zip }
        if bytes.count >= 262, Array(bytes[257..<262]) == Array("ustar".utf8) { return .tar }
        return nil
    }

    static func read(_ path: String, data: Data) throws -> ArchiveListing {
        guard let format = format(of: data) else {
            throw KeelError("\(path) is not an archive unarchive can handle", expected: "tar (plain, gzip, bzip2, xz, zstd) or zip", found: "unknown content")
        }
        if format == .zip {
            let output = try run(["zipinfo", "-T", path])
            return ArchiveListing(format: .zip, entries: try parseZipinfo(output))
        }
        let output = try run(["tar", "--list", "--verbose", "--full-time", "--utc", "--numeric-owner", "--quoting-style=escape", "-f", path])
        return ArchiveListing(format: format, entries: try parseTar(output))
    }

    /// The listing of an archive already on the host (remote_src), read there with its tar or zipinfo.
    static func readRemote(_ path: String, on host: HostContext) async throws -> ArchiveListing {
        let result = try await host.run("""
            p=\(ShellQuote.quote(path))
            [ -f "$p" ] || { echo "\(path) does not exist on the host or is not a file" >&2; exit 2; }
            case "$(head -c 4 -- "$p" | od -An -tx1 | tr -d ' \\n')" in
              504b0304|504b0506) echo zip; TZ=UTC LC_ALL=C zipinfo -T -- "$p" ;;
              *) echo tar; TZ=UTC LC_ALL=C tar --list --verbose --full-time --utc --numeric-owner --quoting-style=escape -f "$p" ;;
            esac
            """)
        guard result.status == 0 else {
            throw KeelError("\(host.name): cannot list the archive \(path): \(result.stderrText.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        let text = result.stdoutText
        let firstLine = text.prefix { $0 != "\n" }
        let rest = String(text.dropFirst(firstLine.count + 1))
        // Compression does not matter here: the host's tar detects it when extracting from the file.
        return firstLine == "zip" ? ArchiveListing(format: .zip, entries: try parseZipinfo(rest))
                                  : ArchiveListing(format: .tar, entries: try parseTar(rest))
    }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        var environment = ProcessInfo.processInfo.environment
        environment["TZ"] = "UTC"
        environment["LC_ALL"] = "C"
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw KeelError("cannot list the archive with \(arguments[0]) on the controller: \(String(decoding: errors, as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// `drwxr-xr-x 0/0  0 2026-12-01 02:10:55 d/` — five fields, then the name (with " -> target" for
    /// symbolic links and " link to target" for hard links).
    static func parseTar(_ output: String) throws -> [Entry] {
        var entries: [Entry] = []
        for line in output.split(separator: "\n") {
            let (fields, rest) = splitFields(String(line), count: 5)
            guard fields.count == 5, let size = Int(fields[2]), let mtime = utcSeconds(fields[3] + " " + fields[4], format: "yyyy-MM-dd HH:mm:ss") else {
                throw KeelError("unexpected tar listing line: \(line)")
            }
            var name = rest
            let kind: Kind
            switch fields[0].first {
            case "d": kind = .directory
            case "l":
                let parts = name.components(separatedBy: " -> ")
                name = parts[0]
                kind = .symlink(unescape(parts.dropFirst().joined(separator: " -> ")))
            case "h":
                name = name.components(separatedBy: " link to ")[0]
                kind = .hardlink
            default: kind = .file
            }
            name = unescape(name)
            while name.hasSuffix("/") { name.removeLast() }
            if name.isEmpty || name == "." { continue }
            entries.append(Entry(path: name, kind: kind, size: size, mtime: mtime))
        }
        return entries
    }

    /// `-rw-r--r--  3.0 unx  3 tx stor 20261201.021055 d/h` — seven fields, then the name.
    static func parseZipinfo(_ output: String) throws -> [Entry] {
        var entries: [Entry] = []
        for line in output.split(separator: "\n") where line.first.map({ "-dl".contains($0) }) == true {
            let (fields, rest) = splitFields(String(line), count: 7)
            guard fields.count == 7, let size = Int(fields[3]), let mtime = utcSeconds(fields[6], format: "yyyyMMdd.HHmmss") else { continue }
            var name = rest
            // zipinfo does not show a link's target: "" means any target.
            let kind: Kind = fields[0].first == "d" ? .directory : fields[0].first == "l" ? .symlink("") : .file
            while name.hasSuffix("/") { name.removeLast() }
            if name.isEmpty { continue }
            entries.append(Entry(path: name, kind: kind, size: size, mtime: mtime))
        }
        return entries
    }

    /// The first `count` whitespace-separated fields and the rest of the line after them.
    static func splitFields(_ line: String, count: Int) -> ([String], String) {
        var fields: [String] = []
        var index = line.startIndex
        while fields.count < count {
            while index < line.endIndex, line[index] == " " { index = line.index(after: index) }
            guard index < line.endIndex else { break }
            let start = index
            while index < line.endIndex, line[index] != " " { index = line.index(after: index) }
            fields.append(String(line[start..<index]))
        }
        if index < line.endIndex { index = line.index(after: index) }
        return (fields, String(line[index...]))
    }

    static func utcSeconds(_ text: String, format: String) -> Int? {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = format
        return formatter.date(from: text).map { Int($0.timeIntervalSince1970) }
    }

    /// GNU tar's escape quoting: \\ \n \t and octal \ooo.
    static func unescape(_ text: String) -> String {
        guard text.contains("\\") else { return text }
        var bytes: [UInt8] = []
        let source = Array(text.utf8)
        var i = 0
        while i < source.count {
            if source[i] == UInt8(ascii: "\\"), i + 1 < source.count {
                let next = source[i + 1]
                if next >= UInt8(ascii: "0"), next <= UInt8(ascii: "7"), i + 3 < source.count + 0,
                   let value = UInt8(String(decoding: source[(i + 1)..<min(i + 4, source.count)], as: UTF8.self), radix: 8) {
                    bytes.append(value); i += 4; continue
                }
                switch next {
                case UInt8(ascii: "n"): bytes.append(0x0a)
                case UInt8(ascii: "t"): bytes.append(0x09)
                default: bytes.append(next)
                }
                i += 2
                continue
            }
            bytes.append(source[i])
            i += 1
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
