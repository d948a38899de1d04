import Foundation
import KeelBase
import KeelTransport

/// postgresql_db's state dump and restore: pg_dump into, and psql or pg_restore from, a file on the host,
/// the format chosen by the file's extension as the collection chooses it (.sql plain, .tar, .pgc custom,
/// .dir directory; .gz, .bz2 and .xz compress a plain dump).
struct DatabaseArchive: Sendable, Codable, Equatable {
    enum Direction: String, Sendable, Codable { case dump, restore }
    var direction: Direction
    var database: String
    var path: String
    /// target_opts and dump_extra_args, split into words (each passed as one argument).
    var options: [String]
    var sessionRole: String?

    var fileExtension: String { (path as NSString).pathExtension.lowercased() }

    var compressor: (write: String, read: String)? {
        switch fileExtension {
        case "gz": return ("gzip -c", "zcat")
        case "bz2": return ("bzip2 -c", "bzcat")
        case "xz": return ("xz -c", "xzcat")
        default: return nil
        }
    }

    /// The shell lines after the connection environment (PGDATABASE is the database).
    func script() -> String {
        let file = ShellQuote.quote(path)
        let extra = options.map(ShellQuote.quote).joined(separator: " ")
        let role = sessionRole.map { " --role=" + ShellQuote.quote($0) } ?? ""
        switch direction {
        case .dump:
            let format = ["tar": " --format=t", "pgc": " --format=c", "dir": " --format=d"][fileExtension] ?? ""
            let dump = "pg_dump\(format)\(role) \(extra) -- \"$PGDATABASE\""
            if let compressor {
                // A temporary file, not a pipe: a pipe's status is the compressor's, and a failed dump must fail.
                return "tmp=$(mktemp) || exit 1\n\(dump) > \"$tmp\" || { rc=$?; rm -f \"$tmp\"; exit $rc; }\n\(compressor.write) < \"$tmp\" > \(file); rc=$?; rm -f \"$tmp\"; exit $rc"
            }
            return fileExtension == "dir" ? "\(dump) -f \(file)" : "\(dump) > \(file)"
        case .restore:
            switch fileExtension {
            case "tar": return "pg_restore --format=Tar\(role) --dbname=\"$PGDATABASE\" \(extra) < \(file)"
            case "pgc": return "pg_restore --format=Custom\(role) --dbname=\"$PGDATABASE\" \(extra) \(file)"
            case "dir": return "pg_restore --format=Directory\(role) --dbname=\"$PGDATABASE\" \(extra) \(file)"
            default:
                if let compressor { return "\(compressor.read) \(file) | psql -X -q \(extra)" }
                return "psql -X -q --file=\(file) \(extra)"
            }
        }
    }

    /// The result the collection returns: rc, msg (stdout), stderr, cmd.
    func run(on host: HostContext, target: PostgresTarget) async throws -> Applied {
        let command = script()
        let full = target.environmentScript() + "\ncd / 2>/dev/null\n" + command
        let input = target.password.map { $0.isEmpty ? Data() : Data(($0 + "\n").utf8) }
        let result = try await host.run(full, stdin: input)
        let values: [String: Value] = ["rc": .int(Int(result.status)), "msg": .string(result.stdoutText), "stderr": .string(result.stderrText),
                                       "cmd": .string(command), "executed_commands": .list([])]
        guard result.status == 0 else {
            throw ModuleFailure(message: PSQL.mask(result.stderrText.isEmpty ? "\(direction.rawValue) failed with status \(result.status)" : result.stderrText,
                                                   [target.password ?? ""]),
                                values: .init(uniqueKeysWithValues: values.sorted { $0.key < $1.key }), changed: true)
        }
        return .changed(.init(uniqueKeysWithValues: values.sorted { $0.key < $1.key }))
    }
}
