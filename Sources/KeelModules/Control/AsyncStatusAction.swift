import KeelBase
import OrderedCollections

/// `async_status`: the state of a job started with `async` (and `poll: 0`), or its removal. The engine
/// reads the job's files on the host (AsyncJob), so `until: job.finished` retries work as in Ansible.
public struct AsyncStatusAction: ControlAction {
    public static let name = "async_status"
    public static let spec = ArgumentSpec([
        OptionSpec("jid", .string, required: true, help: "The job id (`ansible_job_id` of the async task's result)."),
        OptionSpec("mode", .string, default: "status", choices: ["status", "cleanup"],
                   help: "status: the job's state and, once finished, its result; cleanup: remove the job's files."),
    ])
    public static let documentation = ModuleDocumentation(summary: "The state of an async job",
        examples: """
            - command: /usr/local/bin/long-migration
              async: 3600
              poll: 0
              register: migration
            - async_status:
                jid: "{{ migration.ansible_job_id }}"
              register: job
              until: job.finished
              retries: 360
              delay: 10
            """)

    public init() {}

    public func run(_ a: OrderedDictionary<String, Value>, in context: ControlContext) async throws -> ControlOutcome {
        ControlOutcome(effects: [.asyncStatus(jid: a["jid"]?.stringValue ?? "", mode: a["mode"]?.stringValue ?? "status")])
    }
}
