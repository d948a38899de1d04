import Foundation
import KeelBase
import KeelModules
import KeelTransport

/// One `async` job on a host, kept as Ansible keeps its jobs: a status file `<async dir>/<jid>` (by
/// default ~/.ansible_async/<jid>) that says the job started, and beside it `<jid>.keel/` with what the
/// detached script needs and leaves (its script, stdin, output, exit status, start and end times). Only
/// /bin/sh and POSIX tools run on the host; a watcher kills the job after its time limit, as
/// async_wrapper does, and `setsid` (when the host has it) makes the kill reach the job's children.
struct AsyncJob: Sendable {
    let jid: String
    /// The async directory as a shell word (`"$HOME"/.ansible_async`), expanded on the host.
    let directory: String

    init(jid: String, configured: String?) {
        self.jid = jid
        self.directory = Self.directoryWord(configured ?? "~/.ansible_async")
    }

    /// Ansible's job ids: `j` and twelve digits, then a dot and a number (Ansible's is the wrapper's pid).
    static func newID() -> String {
        "j\(UInt64.random(in: 100_000_000_000...999_999_999_999)).\(Int.random(in: 1000...99999))"
    }

    /// `~` and `~/x` expand to the remote user's home, as Ansible's `_remote_expand_user` does.
    static func directoryWord(_ path: String) -> String {
        if path == "~" { return "\"$HOME\"" }
        if path.hasPrefix("~/") { return "\"$HOME\"/" + ShellQuote.quote(String(path.dropFirst(2))) }
        return ShellQuote.quote(path)
    }

    private var paths: String {
        "dir=\(directory); job=\"$dir\"/\(ShellQuote.quote(jid)); work=\"$job.keel\"\n"
    }

    /// Writes the job's files, starts the script detached with a watcher for `limit` seconds, writes the
    /// status file, and prints the status file's path.
    func launchScript(module: String, script: DetachedScript, plan: Data, exports: String, limit: Int) -> String {
        paths + """
            umask 077
            mkdir -p "$dir" && mkdir "$work" || exit 1
            printf '%s' \(ShellQuote.quote(module)) > "$work/module"
            printf '%s' \(ShellQuote.quote(String(decoding: plan, as: UTF8.self))) > "$work/plan.json"
            printf '%s' \(ShellQuote.quote(script.stdin ?? "")) > "$work/stdin"
            printf '%s\\n' \(ShellQuote.quote(exports + script.script)) > "$work/script"
            printf '{"started": 1, "finished": 0, "ansible_job_id": "%s"}\\n' \(ShellQuote.quote(jid)) > "$job"
            (
              date +%s.%N > "$work/start"
              if command -v setsid >/dev/null 2>&1; then setsid /bin/sh "$work/script" < "$work/stdin" > "$work/out" 2> "$work/err" &
              else /bin/sh "$work/script" < "$work/stdin" > "$work/out" 2> "$work/err" & fi
              child=$!
              echo "$child" > "$work/pid"
              (
                n=0
                while [ "$n" -lt \(limit) ]; do sleep 1; [ -e "$work/rc" ] && exit 0; n=$((n + 1)); done
                [ -e "$work/rc" ] && exit 0
                : > "$work/timeout"
                kill -9 -"$child" 2>/dev/null || kill -9 "$child" 2>/dev/null
              ) &
              wait "$child"
              rc=$?
              date +%s.%N > "$work/end"
              echo "$rc" > "$work/rc.tmp" && mv "$work/rc.tmp" "$work/rc"
            ) < /dev/null > /dev/null 2>&1 &
            printf '%s\\n' "$job"
            """
    }

    /// Prints the status file's path, then `missing`, `running`, `done` (and the job's files, each as its
    /// length in bytes on a line and the bytes) or `file` (a status file without a job directory, and its bytes).
    var statusScript: String {
        paths + """
            blob() { if [ -e "$1" ]; then printf '%s\\n' "$(wc -c < "$1" | tr -d ' ')"; cat "$1"; else echo -1; fi; }
            printf '%s\\n' "$job"
            if [ ! -e "$job" ]; then echo missing
            elif [ -d "$work" ]; then
              if [ -e "$work/rc" ]; then echo done; for f in rc start end timeout pid module plan.json out err; do blob "$work/$f"; done
              else echo running; fi
            else echo file; blob "$job"; fi
            """
    }

    /// Prints the status file's path, then removes the job's files and prints `erased` (or `missing`).
    var cleanupScript: String {
        paths + """
            printf '%s\\n' "$job"
            if [ -e "$job" ]; then rm -rf "$work" "$job" && echo erased; else echo missing; fi
            """
    }

    /// Records a result that needed no script (a creates= guard, check mode) as the job's status file.
    func recordScript(_ result: Value) -> String {
        paths + """
            umask 077
            mkdir -p "$dir" || exit 1
            printf '%s\\n' \(ShellQuote.quote(result.jsonString())) > "$job"
            printf '%s\\n' "$job"
            """
    }

    /// What the status script found.
    enum Status: Equatable {
        case missing
        case running
        case finished(Finished)
        /// A status file alone (a job another tool started, or one that recorded its result there).
        case recorded(Data)
    }

    struct Finished: Equatable {
        var output: DetachedOutput
        var timedOut: Bool
        var pid: Int?
        var module: String
        var plan: Data
    }

    /// Reads the status script's output: the status file's path and the status.
    static func parseStatus(_ data: Data) throws -> (path: String, status: Status) {
        var reader = Reader(data: data)
        let path = reader.line()
        switch reader.line() {
        case "missing": return (path, .missing)
        case "running": return (path, .running)
        case "file": return (path, .recorded(reader.blob() ?? Data()))
        case "done":
            let rc = reader.blob(), start = reader.blob(), end = reader.blob(), timeout = reader.blob(), pid = reader.blob()
            let module = reader.blob(), plan = reader.blob(), out = reader.blob(), err = reader.blob()
            func text(_ d: Data?) -> String { String(decoding: d ?? Data(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            let output = DetachedOutput(status: Int32(text(rc)) ?? -1, stdout: out ?? Data(), stderr: err ?? Data(),
                                        start: time(text(start)), end: time(text(end)))
            return (path, .finished(Finished(output: output, timedOut: timeout != nil, pid: Int(text(pid)), module: text(module),
                                             plan: plan ?? Data())))
        case let other:
            throw KeelError("async_status could not read the job's state", expected: "missing, running, done or file", found: other)
        }
    }

    /// `date +%s.%N` (seconds and nanoseconds; a date without %N prints the letter, which is dropped).
    static func time(_ text: String) -> Date {
        let number = text.prefix { $0.isNumber || $0 == "." }
        return Date(timeIntervalSince1970: Double(number) ?? Date().timeIntervalSince1970)
    }

    private struct Reader {
        let data: Data
        var index: Data.Index

        init(data: Data) {
            self.data = data
            index = data.startIndex
        }

        mutating func line() -> String {
            let end = data[index...].firstIndex(of: UInt8(ascii: "\n")) ?? data.endIndex
            defer { index = end < data.endIndex ? data.index(after: end) : end }
            return String(decoding: data[index..<end], as: UTF8.self)
        }

        /// A length line and that many bytes; nil for a missing file (length -1).
        mutating func blob() -> Data? {
            guard let count = Int(line()), count >= 0 else { return nil }
            let end = data.index(index, offsetBy: count, limitedBy: data.endIndex) ?? data.endIndex
            defer { index = end }
            return Data(data[index..<end])
        }
    }
}
