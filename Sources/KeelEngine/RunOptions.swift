import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// Everything `keel play` was told on its command line.
public struct RunOptions: Sendable {
    public var inventorySources: [String] = []
    public var checkMode = false
    public var diffMode = false
    public var forks = 10
    public var limit: String?
    public var tags: [String] = []
    public var skipTags: [String] = []
    public var extraVars: OrderedDictionary<String, Value> = [:]
    /// `--become` on the command line: every play becomes unless it says otherwise.
    public var become = false
    public var becomeUser: String?
    public var becomePassword: String?
    /// `--start-at-task`: tasks before the first one whose name matches (exactly, as "role : name", or as
    /// a shell glob) are skipped without being reported.
    public var startAtTask: String?
    /// `--drift-exit-code`: exit with 3 when any task changed (or, with --check, would change) and
    /// nothing failed, so a CI job can tell "converged" from "drifted".
    public var driftExitCode = false
    public var hostKeyPolicy: HostKeyPolicy?
    /// ansible-playbook's connection options (-u, --private-key, -c, -T, -k, --become-method): defaults
    /// that a host's variables and the play's keywords override, as in Ansible (see ConnectionDefaults).
    public var remoteUser: String?
    public var privateKeyFile: String?
    public var connection: String?
    public var connectTimeout: Int?
    public var connectionPassword: String?
    public var becomeMethod: String?
    public var rolesPath: [String] = []
    /// Saved plans: records every task's planned steps (`--plan-out`, and `keel apply`'s verifying
    /// check run), or approves only the saved plan's steps (`keel apply`'s real run).
    public var planLedger: PlanLedger?
    /// ansible.cfg's collections_path: where `namespace.collection.role` names are looked for.
    public var collectionsPath: [String] = []
    /// ansible.cfg's ssh_args, ssh_common_args and ssh_extra_args: defaults for the hosts'
    /// ansible_ssh_args, ansible_ssh_common_args and ansible_ssh_extra_args.
    public var sshArgs: String?
    public var sshCommonArgs: String?
    public var sshExtraArgs: String?
    /// ansible.cfg's gathering: whether a play without gather_facts gathers facts.
    public var gathering: FactGathering = .implicit
    public var verbosity = 0
    /// Observations of the tasks ahead are taken in one batch (one round trip) and answered from it until
    /// something changes the host. Off with `--no-batch` or KEEL_BATCH_OBSERVATIONS=0: one round trip per
    /// observation, as before (results are the same either way).
    public var batchObservations = ProcessInfo.processInfo.environment["KEEL_BATCH_OBSERVATIONS"] != "0"
    /// With batching on, a change that is its task's only command also carries the changes of the tasks
    /// after it, rehearsed and guarded (ChainedChange, docs/observation-batching.md). Off with
    /// KEEL_CHAIN_CHANGES=0 (results are the same either way; a first run takes about one round trip per task).
    public var chainChanges = ProcessInfo.processInfo.environment["KEEL_CHAIN_CHANGES"] != "0"
    /// `--control-persist` / KEEL_CONTROL_PERSIST: keep SSH logins in connection masters that later runs
    /// reuse (docs/connection-persistence.md); nil: as the hosts' ssh_args say (ControlPersist=), else off.
    public var controlPersist: ConnectionPersistence.IdleTime?
    /// The keel binary that connection masters run; nil (an embedding that is not the CLI): no masters.
    public var connectionMasterExecutable: String?

    public init() {}
}
