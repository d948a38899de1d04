import KeelLab

/// An inventory for lab hosts, written the way a user's inventory describes real servers: address, root,
/// the lab's key, strict host key checking against the lab's known_hosts.
public enum LabInventory {
    public static func ini(_ hosts: [LabHost], group: String = "lab", lab: Lab = Lab(), hostVars: [String: String] = [:]) -> String {
        var text = "[\(group)]\n"
        for host in hosts {
            text += "\(host.name) ansible_host=\(host.address)"
            if let extra = hostVars[host.name] { text += " " + extra }
            text += "\n"
        }
        text += """

            [\(group):vars]
            ansible_user=root
            ansible_ssh_private_key_file=\(lab.clientKeyPath)
            ansible_ssh_common_args='-o UserKnownHostsFile=\(lab.knownHostsPath) -o StrictHostKeyChecking=yes'

            """
        return text
    }
}
