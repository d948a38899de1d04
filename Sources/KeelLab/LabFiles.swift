import Foundation

/// The files other tools read: `known_hosts` for ssh and `inventory.ini` for Ansible (and Keel).
enum LabFiles {
    /// One line per host, keyed by address: ssh connects by address, so that is what it looks up.
    static func knownHosts(_ hosts: [LabHost]) -> String {
        hosts.map { "\($0.address) \($0.hostKey)\n" }.joined()
    }

    static func inventory(_ hosts: [LabHost], clientKey: String, knownHosts: String) -> String {
        func line(_ host: LabHost) -> String {
            "\(host.name) ansible_host=\(host.address) ansible_user=root ansible_ssh_private_key_file=\(clientKey)\n"
        }
        var text = "# Written by keel lab; rewritten on every `keel lab up` and `keel lab down`.\n[lab]\n"
        text += hosts.map(line).joined()
        text += "\n[lab:vars]\n"
        text += "ansible_ssh_common_args='-o UserKnownHostsFile=\(knownHosts) -o StrictHostKeyChecking=yes'\n"
        // Light hosts see this machine's PATH, where interpreter discovery may find a pyenv shim.
        text += "ansible_python_interpreter=/usr/bin/python3\n"
        for flavor in LabFlavor.allCases {
            text += "\n[lab_\(flavor.rawValue)]\n"
            text += hosts.filter { $0.flavor == flavor }.map { "\($0.name)\n" }.joined()
        }
        return text
    }
}
