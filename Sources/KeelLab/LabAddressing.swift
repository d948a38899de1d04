import Foundation
import KeelBase

/// Where each host sits on the lab network, derived from a small integer (its slot) so that a host keeps
/// its address, MAC and interface names for as long as it exists.
///
/// The whole lab lives in 198.18.0.0/15 (RFC 2544 benchmarking space, never routed on the internet):
/// the controller's bridge has 198.18.0.1; hosts named `labK` get 198.18.0.10+K; any other name gets the
/// next free slot counted from 198.19.0.10. Slots are unique on the whole machine, not just in one lab
/// directory: all labs share the bridge.
enum LabAddressing {
    static let bridge = "keel-lab0"
    static let bridgeAddress = "198.18.0.1"
    static let prefixLength = 15
    static let bridgeMAC = "02:00:c6:12:00:01"

    /// Slots below this belong to `lab1`, `lab2`, ...; named hosts start here.
    static let firstNamedSlot = 65_536
    private static let base: UInt32 = 198 << 24 | 18 << 16

    /// The slot `labK` wants, if the name has that shape.
    static func numberedSlot(for name: String) -> Int? {
        guard name.hasPrefix("lab"), let number = Int(name.dropFirst(3)), number >= 1,
              number < firstNamedSlot - 10, String(number) == name.dropFirst(3) else { return nil }
        return number
    }

    static func address(slot: Int) -> String {
        let value = base + 10 + UInt32(slot)
        return [24, 16, 8, 0].map { String(value >> UInt32($0) & 0xff) }.joined(separator: ".")
    }

    /// A locally administered MAC made of the four address bytes: a host re-created at the same address
    /// keeps its MAC, so neighbour caches stay right (with random MACs it was unreachable for 12-20 s).
    static func mac(for address: String) -> String {
        let bytes = address.split(separator: ".").compactMap { UInt8($0) }
        return (["02", "00"] + bytes.map { hex($0) }).joined(separator: ":")
    }

    /// The controller-side end of the host's veth pair (interface names have at most 15 characters).
    static func vethName(slot: Int) -> String { "kl\(slot)" }

    /// The name under /run/netns. It carries the slot because namespaces are machine-wide while host names
    /// are only unique within one lab directory (tests run labs side by side).
    static func namespaceName(for host: String, slot: Int) -> String { "keel-\(slot)-\(host)" }

    /// True while some lab on this machine (any lab directory) holds the slot: its veth exists.
    static func isSlotInUse(_ slot: Int) -> Bool {
        FileManager.default.fileExists(atPath: "/sys/class/net/\(vethName(slot: slot))")
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789abcdef")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xf)]])
    }

    /// Host names become hostnames, file names and systemd machine names: keep them to what all three accept.
    static func validate(_ name: String) throws {
        let allowed = name.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
        guard !name.isEmpty, name.count <= 48, allowed, name.first != "-", name.last != "-" else {
            throw KeelError("lab: '\(name)' cannot name a lab host",
                            expected: "1 to 48 lowercase letters, digits and inner dashes, such as web1",
                            found: name.isEmpty ? "an empty name" : name)
        }
    }
}
