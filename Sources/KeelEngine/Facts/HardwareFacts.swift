import KeelBase
import OrderedCollections

/// The `hardware` subset on Linux: memory, processors, uptime, DMI names and mounts, under Ansible's
/// names. Devices (ansible_devices) are not gathered.
enum HardwareFacts {
    static func memory(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        func mb(_ key: String) -> Int { (Int(o["mem_\(key)"] ?? "") ?? 0) / 1024 }
        let total = mb("MemTotal"), free = mb("MemFree"), swapTotal = mb("SwapTotal"), swapFree = mb("SwapFree")
        let cacheFree = free + mb("Buffers") + mb("Cached")
        facts["memtotal_mb"] = .int(total)
        facts["memfree_mb"] = .int(free)
        facts["swaptotal_mb"] = .int(swapTotal)
        facts["swapfree_mb"] = .int(swapFree)
        facts["memory_mb"] = .dict([
            "real": ["total": .int(total), "used": .int(total - free), "free": .int(free)],
            "nocache": ["free": .int(cacheFree), "used": .int(total - cacheFree)],
            "swap": ["total": .int(swapTotal), "free": .int(swapFree), "used": .int(swapTotal - swapFree), "cached": .int(mb("SwapCached"))],
        ])
    }

    /// /proc/cpuinfo read the way Ansible reads it: `processor` lists each CPU's index, vendor and model;
    /// sockets from distinct physical ids, cores per socket from `cpu cores`, threads from `siblings`.
    static func processors(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var processor: [Value] = []
        var entries = 0
        var sockets = OrderedDictionary<String, Int>(), siblings = OrderedDictionary<String, Int>()
        var socket = "", core = ""
        for line in o.all("cpu") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch key {
            case "processor", "vendor_id", "model name", "Processor", "cpu", "Vendor":
                processor.append(.string(value))
                if key == "processor" { entries += 1 }
            case "physical id":
                socket = value
                if sockets[socket] == nil { sockets[socket] = 1 }
            case "core id":
                core = value
                if siblings[core] == nil { siblings[core] = 1 }
            case "cpu cores": sockets[socket] = Int(value) ?? 1
            case "siblings": siblings[core] = Int(value) ?? 1
            default: break
            }
        }
        let count = sockets.isEmpty ? entries : sockets.count
        let cores = sockets.values.first.flatMap { $0 > 0 ? $0 : nil } ?? 1
        let threads = siblings.values.first.map { max(1, $0 / cores) } ?? 1
        facts["processor"] = .list(processor)
        facts["processor_count"] = .int(count)
        facts["processor_cores"] = .int(cores)
        facts["processor_threads_per_core"] = .int(threads)
        facts["processor_vcpus"] = .int(threads * cores * count)
        facts["processor_nproc"] = .int(Int(o["nproc"] ?? "") ?? entries)
    }

    static func uptimeAndDMI(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        if let up = o["uptime"].flatMap(Double.init) { facts["uptime_seconds"] = .int(Int(up)) }
        let names = ["product_name": "product_name", "product_version": "product_version", "product_uuid": "product_uuid",
                     "product_serial": "product_serial", "sys_vendor": "system_vendor", "bios_vendor": "bios_vendor",
                     "bios_version": "bios_version", "bios_date": "bios_date", "board_name": "board_name", "board_vendor": "board_vendor"]
        for (file, fact) in names.sorted(by: { $0.key < $1.key }) {
            facts[fact] = .string(o["dmi_\(file)"] ?? "NA")
        }
    }

    /// Mounts of real devices (paths or network sources), with their sizes from statfs.
    static func mounts(_ o: FactOutput, into facts: inout OrderedDictionary<String, Value>) {
        var mounts: [Value] = []
        for line in o.all("mount") {
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 5 else { continue }
            var m: OrderedDictionary<String, Value> = ["mount": .string(f[1]), "device": .string(f[0]), "fstype": .string(f[2]),
                                                       "options": .string(f[3])]
            // stat -f: block size, fragment size, blocks, free blocks, available blocks, inodes, free inodes
            let s = f[4].split(separator: " ").compactMap { Int($0) }
            if s.count == 7 {
                m["size_total"] = .int(s[1] * s[2])
                m["size_available"] = .int(s[1] * s[4])
                m["block_size"] = .int(s[0])
                m["block_total"] = .int(s[2])
                m["block_available"] = .int(s[4])
                m["block_used"] = .int(s[2] - s[3])
                m["inode_total"] = .int(s[5])
                m["inode_available"] = .int(s[6])
                m["inode_used"] = .int(s[5] - s[6])
            }
            m["uuid"] = "N/A"
            mounts.append(.dict(m))
        }
        facts["mounts"] = .list(mounts)
    }
}
