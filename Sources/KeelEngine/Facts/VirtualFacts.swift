import KeelBase
import OrderedCollections

/// The `virtual` subset, best effort without Python: containers from PID 1's cgroup and environment,
/// systemd's marker and docker's marker file; virtual machines from the DMI product and vendor names and
/// the CPU's hypervisor flag; a KVM host from /dev/kvm. Unknown is Ansible's "NA".
enum VirtualFacts {
    static func virtual(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var guests: [String] = [], hosts: [String] = []
        // Containers, in Ansible's order of evidence: PID 1's cgroup, PID 1's `container=`, systemd's
        // marker, docker's marker file. The first found names the type.
        if let cgroup = o["cgroup1"] { guests.append(cgroup) }
        if let line = o["pid1_environ"], line.hasPrefix("container="), line.count > 10 {
            let container = String(line.dropFirst(10))
            guests.append(["lxc", "podman"].contains(container) ? container : "container")
        }
        if o["openvz"] != nil { guests.append("openvz") }
        if let systemd = o["systemd_container"] { guests.append(systemd) }
        if o["dockerenv"] != nil { guests.append("docker") }
        let inContainer = !guests.isEmpty
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
        if let machine, machine != "openvz" { guests.append(machine) }
        if o["kvm_host"] != nil { hosts.append("kvm") }
        let type: String, role: String
        if let first = guests.first { (type, role) = (first, "guest") }
        else if let first = hosts.first { (type, role) = (first, "host") }
        else { (type, role) = ("NA", "NA") }
        facts["virtualization_type"] = .string(type)
        facts["virtualization_role"] = .string(role)
        var tech = guests
        if inContainer && !tech.contains("container") { tech.append("container") }
        facts["virtualization_tech_guest"] = .list(tech.map(Value.string))
        facts["virtualization_tech_host"] = .list(hosts.map(Value.string))
    }
}
