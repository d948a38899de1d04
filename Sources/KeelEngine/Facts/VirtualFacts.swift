import KeelBase
import OrderedCollections

/// The `virtual` subset, best effort without Python: containers from PID 1's environment, systemd's
/// marker and the runtimes' marker files; virtual machines from the DMI product and vendor names and
/// the CPU's hypervisor flag; a KVM host from /dev/kvm. Unknown is Ansible's "NA".
enum VirtualFacts {
    static func virtual(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var guests: [String] = [], hosts: [String] = []
        let container = o["pid1_container"] ?? o["systemd_container"]
        if let container {
            let known = ["lxc": "lxc", "lxc-libvirt": "lxc", "podman": "podman", "docker": "docker", "systemd-nspawn": "systemd-nspawn",
                         "oci": "container", "wsl": "wsl"]
            guests.append(known[container] ?? "container")
        } else if o["dockerenv"] != nil {
            guests.append("docker")
        } else if o["containerenv"] != nil {
            guests.append("podman")
        } else if let cgroup = o["cgroup1"] {
            guests.append(cgroup == "kubepods" ? "container" : cgroup == "libpod" ? "podman" : cgroup)
        }
        let product = o["vm_product"] ?? "", vendor = o["vm_vendor"] ?? ""
        let machine: String?
        switch true {
        case product.contains("KVM") || product.contains("QEMU") || vendor.contains("QEMU") || product.contains("Bochs"): machine = "kvm"
        case product.contains("VMware") || vendor.contains("VMware"): machine = "VMware"
        case product.contains("VirtualBox") || vendor.contains("innotek"): machine = "virtualbox"
        case vendor.contains("Xen") || product.contains("HVM domU") || o["xen"] != nil: machine = "xen"
        case vendor.contains("Microsoft") && product.contains("Virtual Machine"): machine = "VirtualPC"
        case vendor.contains("Amazon EC2") || product.contains("Google Compute Engine") || vendor.contains("DigitalOcean"): machine = "kvm"
        case vendor.contains("Parallels"): machine = "parallels"
        case o["openvz"] != nil: machine = "openvz"
        default: machine = o["hypervisor_flag"] != nil ? "kvm" : nil
        }
        if let machine { guests.append(machine) }
        if o["kvm_host"] != nil { hosts.append("kvm") }
        let type: String, role: String
        if let first = guests.first { (type, role) = (first, "guest") }
        else if let first = hosts.first { (type, role) = (first, "host") }
        else { (type, role) = ("NA", "NA") }
        facts["virtualization_type"] = .string(type)
        facts["virtualization_role"] = .string(role)
        facts["virtualization_tech_guest"] = .list(guests.map(Value.string))
        facts["virtualization_tech_host"] = .list(hosts.map(Value.string))
    }
}
