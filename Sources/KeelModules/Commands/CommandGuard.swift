import KeelBase
import OrderedCollections

/// Why a command-like task does not run (its creates/removes guard), and what ansible-core 2.19's
/// command module returns when it does not run, in a real run and in check mode. A task that reads the
/// registered result (`result.stdout_lines`, `result.rc`) then behaves as it does under Ansible.
public enum CommandGuard: Equatable, Sendable {
    /// `creates` names a path that exists.
    case creates(String)
    /// `removes` names a path that does not exist.
    case removes(String)

    /// command and shell skipped by their guard: "Did not run …" (check mode: "Would not run …"), the old
    /// "skipped, since …" text as stdout, rc 0.
    public func commandResult(checkMode: Bool) -> OrderedDictionary<String, Value> {
        let verb = checkMode ? "Would" : "Did"
        let msg: String, stdout: String
        switch self {
        case .creates(let path):
            msg = "\(verb) not run command since '\(path)' exists"
            stdout = "skipped, since \(path) exists"
        case .removes(let path):
            msg = "\(verb) not run command since '\(path)' does not exist"
            stdout = "skipped, since \(path) does not exist"
        }
        return ["msg": .string(msg), "rc": 0, "stdout": .string(stdout), "stderr": "",
                "stdout_lines": [.string(stdout)], "stderr_lines": []]
    }

    /// command and shell in check mode when they would run: nothing ran, so no output and rc 0. Without a
    /// guard Ansible calls the task skipped; with one it predicts a change (Keel predicts a change in both).
    public static func wouldRun(guarded: Bool) -> OrderedDictionary<String, Value> {
        var values: OrderedDictionary<String, Value> = [
            "msg": "Command would have run if not in check mode", "rc": 0, "stdout": "", "stderr": "",
            "stdout_lines": [], "stderr_lines": [], "start": .null, "end": .null, "delta": .null,
        ]
        if !guarded { values["skipped"] = true }
        return values
    }

    /// script skipped by its guard (the action plugin skips it before anything is uploaded).
    public var scriptResult: OrderedDictionary<String, Value> {
        switch self {
        case .creates(let path): return ["msg": .string("\(path) exists, matching creates option"), "skipped": true]
        case .removes(let path): return ["msg": .string("\(path) does not exist, matching removes option"), "skipped": true]
        }
    }

    /// script in check mode when it would run: Ansible skips it unless a guard lets it predict a change.
    public static func scriptWouldRun(guarded: Bool) -> OrderedDictionary<String, Value> {
        guarded ? [:] : ["msg": "Check mode is not supported for this task.", "skipped": true]
    }
}
