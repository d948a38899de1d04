import KeelBase
import KeelTransport
import OrderedCollections
import Synchronization

/// The lookahead's rendered probes of each task, kept for the run: a first run asks for the same task's
/// probes up to three times (the task before it carries its reads, its own turn checks they are all
/// answered), and rendering its scope, settings and arguments is most of the lookahead's CPU.
/// A kept entry is used only while the host's variables are those it was rendered with (HostState.version,
/// and the entry's block vars, which differ between the passes of a looped include). A probe only predicts
/// which reads a task makes: one that no longer matches costs a read, never a different result.
final class ProbeCache: Sendable {
    struct Rendered: Sendable {
        var probes: [ObservationLookahead.Probe]
        var connection: PrefetchingConnection?
        var key: String?
    }

    private struct Entry {
        var host: String
        var version: Int
        var blockVars: OrderedDictionary<String, Value>
        var rendered: Rendered?
    }

    private let entries = Mutex<[String: Entry]>([:])

    /// The probes kept for `key` while the host is at `version`; `render` makes them (nil: not looked at ahead).
    func probes(key: String, host: String, version: Int, blockVars: OrderedDictionary<String, Value>,
                render: () async -> Rendered?) async -> Rendered? {
        if let kept = entries.withLock({ $0[key] }), kept.version == version, kept.blockVars == blockVars {
            return kept.rendered
        }
        let rendered = await render()
        entries.withLock { $0[key] = Entry(host: host, version: version, blockVars: blockVars, rendered: rendered) }
        return rendered
    }

    /// Forgets the host's probes: its connections were dropped (reset_connection, a reconnect), and the
    /// probes hold the connection they observe over.
    func forget(host: String) {
        entries.withLock { $0 = $0.filter { $0.value.host != host } }
    }
}
