import KeelBase
import Synchronization

/// Scripts a module made lately, each with what it was made for, so a batch (which sees only scripts) can
/// recognise them: PathObservation's, and BuiltinTextRead's. Bounded: when full, the older half is
/// forgotten, and a script no longer remembered is simply treated as any other (it runs on its own, or is
/// compared by digest), never wrongly. Scripts are told apart byte for byte: a path in NFC and in NFD
/// (equal as Swift Strings) names two files on a host.
final class RememberedScripts<Made: Sendable>: Sendable {
    private let known = Mutex<(scripts: [ExactText: Made], order: [ExactText])>(([:], []))
    private let most: Int

    init(most: Int) { self.most = most }

    func remember(_ script: String, as made: Made) {
        let script = ExactText(script)
        known.withLock { known in
            guard known.scripts[script] == nil else { return }
            known.scripts[script] = made
            known.order.append(script)
            if known.order.count > most {
                let dropped = known.order.prefix(known.order.count / 2)
                for script in dropped { known.scripts[script] = nil }
                known.order.removeFirst(dropped.count)
            }
        }
    }

    func recognise(_ script: String) -> Made? {
        known.withLock { $0.scripts[ExactText(script)] }
    }
}
