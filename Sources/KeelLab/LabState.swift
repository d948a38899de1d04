import Foundation
import KeelBase

/// Everything the lab remembers about a host between invocations.
struct LabHostRecord: Codable, Sendable, Equatable {
    var host: LabHost
    var slot: Int
    /// The process we launched (`unshare` or `systemd-nspawn`).
    var launcher: RecordedProcess?
    /// PID 1 of the host's PID namespace (`tini` or systemd).
    var initProcess: RecordedProcess?
    /// The key known_hosts vouches for. It differs from `host.hostKey` after `rekey` until the host is
    /// named in an `up` again; other hosts' `up` and `down` leave it alone (tests rekey in parallel).
    var trustedKey: String?
    /// A systemd host booted with cgroup v1 controllers of its own (container resource limits work).
    var cgroupControllers: Bool?

    var knownHost: LabHost {
        var known = host
        known.hostKey = trustedKey ?? host.hostKey
        return known
    }
}

/// The lab's state file, `state.json`, read and written whole (always under the lab lock; written to a
/// temporary file and renamed, so a reader without the lock never sees half a file).
struct LabState: Codable, Sendable {
    var hosts: [LabHostRecord] = []

    static func load(from path: String) throws -> LabState {
        guard FileManager.default.fileExists(atPath: path) else { return LabState() }
        do {
            return try JSONDecoder().decode(LabState.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
        } catch {
            throw KeelError("lab: the state file \(path) is unreadable: \(error)",
                            suggestion: nil)
        }
    }

    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writeAtomically(encoder.encode(self), to: path)
    }

    subscript(name: String) -> LabHostRecord? {
        hosts.first { $0.host.name == name }
    }

    mutating func put(_ record: LabHostRecord) {
        if let index = hosts.firstIndex(where: { $0.host.name == record.host.name }) {
            hosts[index] = record
        } else {
            hosts.append(record)
        }
    }

    mutating func remove(_ name: String) {
        hosts.removeAll { $0.host.name == name }
    }

    /// `labK` gets slot K when free; every other name the lowest free slot of the named range. A slot is
    /// free when no host of this lab has it and no lab on the machine uses it (`inUse`; callers hold the
    /// machine-wide lock so the answer stays true until the veth is made).
    func freeSlot(for name: String, inUse: (Int) -> Bool = LabAddressing.isSlotInUse) -> Int {
        let taken = Set(hosts.map(\.slot))
        func free(_ slot: Int) -> Bool { !taken.contains(slot) && !inUse(slot) }
        if let wanted = LabAddressing.numberedSlot(for: name), free(wanted) { return wanted }
        var slot = LabAddressing.firstNamedSlot
        while !free(slot) { slot += 1 }
        return slot
    }
}

/// Writes a file through a temporary sibling and a rename.
func writeAtomically(_ data: Data, to path: String, permissions: Int = 0o644) throws {
    let temporary = path + ".tmp-\(UUID().uuidString)"
    try data.write(to: URL(fileURLWithPath: temporary))
    try FileManager.default.setAttributes([.posixPermissions: permissions], ofItemAtPath: temporary)
    if rename(temporary, path) != 0 {
        try? FileManager.default.removeItem(atPath: temporary)
        throw KeelError("lab: cannot write \(path): \(String(cString: strerror(errno)))")
    }
}
