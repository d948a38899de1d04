import Crypto
import Foundation

/// A fingerprint of a plan: what a saved plan (`keel play --check --plan-out`) records per task, and
/// what `keel apply` compares before it applies anything. It covers the steps (everything they will do:
/// paths, contents, flags) and the before/after views and changed fields (what was observed), so equal
/// digests mean the host is as the review saw it and would get exactly what was reviewed. Only the
/// digest is stored, so a plan file holds no contents and no secrets.
public enum PlanDigest {
    public static func of<Step>(_ plan: Plan<Step>) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var hash = SHA256()
        // A part that cannot be encoded still gets a stable digest of its description.
        hash.update(data: (try? encoder.encode(plan.steps)) ?? Data(String(describing: plan.steps).utf8))
        hash.update(data: (try? encoder.encode(plan.diffs)) ?? Data(String(describing: plan.diffs).utf8))
        hash.update(data: (try? encoder.encode(plan.fieldChanges)) ?? Data(String(describing: plan.fieldChanges).utf8))
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
