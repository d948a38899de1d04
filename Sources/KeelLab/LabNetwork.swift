import Foundation
import KeelBase

/// The lab's network: one bridge on the controller and, per host, a network namespace joined to it by a
/// veth pair. Hosts get no default route, and forwarding in or out of the bridge is dropped, so lab
/// traffic can only ever reach other lab addresses.
enum LabNetwork {
    static func ensureBridge() throws {
        let bridge = LabAddressing.bridge
        if try Subprocess.run(["ip", "link", "show", bridge]).status != 0 {
            let add = try Subprocess.run(["ip", "link", "add", bridge, "address", LabAddressing.bridgeMAC,
                                          "type", "bridge"])
            // Another invocation (with a different lab directory) may have won the race.
            if add.status != 0, try Subprocess.run(["ip", "link", "show", bridge]).status != 0 {
                throw KeelError("lab: cannot create the bridge \(bridge)", found: add.stderr)
            }
        }
        try Subprocess.check(["ip", "addr", "replace",
                              "\(LabAddressing.bridgeAddress)/\(LabAddressing.prefixLength)", "dev", bridge],
                             doing: "addressing the bridge")
        try Subprocess.check(["ip", "link", "set", bridge, "up"], doing: "bringing the bridge up")
        try ensureNoForwarding()
    }

    /// Belt and braces: the machine has forwarding off today, but a lab must stay on its bridge even on a
    /// machine where someone turns it on. Bridged traffic between two hosts is not affected.
    private static func ensureNoForwarding() throws {
        guard try Subprocess.run(["nft", "list", "table", "inet", "keel_lab"]).status != 0 else { return }
        let bridge = LabAddressing.bridge
        let rules = """
            table inet keel_lab {
                chain forward {
                    type filter hook forward priority 0; policy accept;
                    iifname "\(bridge)" oifname != "\(bridge)" drop
                    oifname "\(bridge)" iifname != "\(bridge)" drop
                }
            }

            """
        let result = try Subprocess.run(["nft", "-f", "-"], input: rules)
        if result.status != 0, try Subprocess.run(["nft", "list", "table", "inet", "keel_lab"]).status != 0 {
            throw KeelError("lab: cannot install the nftables rule that keeps lab traffic on its bridge",
                            found: result.stderr)
        }
    }

    /// (Re)creates the host's namespace and link from scratch: cheap, and it clears whatever a crashed
    /// earlier run left behind.
    static func createHostNetwork(name: String, slot: Int, address: String) throws {
        removeHostNetwork(name: name, slot: slot, address: address)
        let namespace = LabAddressing.namespaceName(for: name, slot: slot)
        let veth = LabAddressing.vethName(slot: slot)
        let steps: [[String]] = [
            ["ip", "netns", "add", namespace],
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0",
             "address", LabAddressing.mac(for: address), "netns", namespace],
            ["ip", "link", "set", veth, "master", LabAddressing.bridge, "up"],
            ["ip", "-n", namespace, "addr", "add", "\(address)/\(LabAddressing.prefixLength)", "dev", "eth0"],
            ["ip", "-n", namespace, "link", "set", "lo", "up"],
            ["ip", "-n", namespace, "link", "set", "eth0", "up"],
        ]
        for step in steps {
            try Subprocess.check(step, doing: "setting up the network of \(name)")
        }
    }

    /// Removes the namespace, the veth pair and the controller's neighbour entry; missing pieces are fine.
    static func removeHostNetwork(name: String, slot: Int, address: String) {
        let namespace = LabAddressing.namespaceName(for: name, slot: slot)
        _ = try? Subprocess.run(["ip", "link", "del", LabAddressing.vethName(slot: slot)])
        if FileManager.default.fileExists(atPath: "/run/netns/\(namespace)") {
            _ = try? Subprocess.run(["ip", "netns", "del", namespace])
        }
        _ = try? Subprocess.run(["ip", "neigh", "flush", "to", address, "dev", LabAddressing.bridge])
    }

    /// True when the bridge no longer has hosts, so `down` of everything can remove it too.
    static func removeBridge() {
        _ = try? Subprocess.run(["ip", "link", "del", LabAddressing.bridge])
    }
}
