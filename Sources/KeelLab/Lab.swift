import Foundation
import KeelBase

/// Disposable Linux hosts on this machine, for Keel's own tests and for trying a playbook before it
/// touches real servers. Each host has its own network namespace and address on the lab bridge, its own
/// root filesystem (a private overlay) and its own sshd; see docs/lab.md.
///
/// All changes happen under an exclusive lock on the lab directory, so any number of processes may use
/// one lab at once. Everything needs root.
public struct Lab: Sendable {
    /// `/var/lib/keel/lab`, or `KEEL_LAB_DIR`.
    public static var defaultDirectory: String {
        ProcessInfo.processInfo.environment["KEEL_LAB_DIR"] ?? "/var/lib/keel/lab"
    }

    public let directory: String
    let baseTree: BaseTree

    public init(directory: String = Lab.defaultDirectory) {
        self.directory = directory
        self.baseTree = BaseTree(cache: BaseTree.defaultCache)
    }

    /// The private half of the key every host accepts for root (the public half is `.pub` beside it).
    public var clientKeyPath: String { "\(directory)/id_ed25519" }
    /// Each host's current key, keyed by its address.
    public var knownHostsPath: String { "\(directory)/known_hosts" }
    /// An Ansible INI inventory of all hosts.
    public var inventoryPath: String { "\(directory)/inventory.ini" }
    var statePath: String { "\(directory)/state.json" }
    /// Locked (inside the lab's own lock) around every change to machine-wide things: the bridge, slots,
    /// namespaces, links. Any number of lab directories share those.
    static let machineLockDirectory = "/run/keel-lab"
    var initScriptPath: String { "\(directory)/\(LightHostInit.fileName)" }

    // MARK: - Bringing hosts up

    /// Makes sure the named hosts exist and run: running hosts are left alone, dead ones are restarted
    /// (keeping their files, address and key), missing ones are created. Returns the hosts in `names` order.
    /// `cgroupControllers`: new systemd hosts get resource controllers of their own (CgroupControllers).
    public func up(names: [String], flavor: LabFlavor, cgroupControllers: Bool = false) throws -> [LabHost] {
        try Self.requireRoot()
        var unique: [String] = []
        for name in names where !unique.contains(name) {
            try LabAddressing.validate(name)
            unique.append(name)
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o755])
        return try LabLock.holding(directory) {
            var state = try LabState.load(from: statePath)
            for name in unique {
                if let existing = state[name], existing.host.flavor != flavor {
                    throw KeelError("lab: \(name) already exists as a \(existing.host.flavor.rawValue) host",
                                    expected: "a \(flavor.rawValue) host",
                                    found: "\(name) (\(existing.host.flavor.rawValue))",
                                    suggestion: nil)
                }
            }
            try ensureClientKey()
            if flavor == .systemd { try baseTree.ensure() }
            try writeAtomically(Data(LightHostInit.script.utf8), to: initScriptPath, permissions: 0o755)
            try FileManager.default.createDirectory(atPath: Self.machineLockDirectory,
                                                    withIntermediateDirectories: true)
            return try LabLock.holding(Self.machineLockDirectory) {
                try startAndWait(unique, flavor: flavor, cgroupControllers: cgroupControllers, state: &state)
            }
        }
    }

    private func startAndWait(_ unique: [String], flavor: LabFlavor, cgroupControllers: Bool = false, state: inout LabState) throws -> [LabHost] {
        try LabNetwork.ensureBridge()
        var started: [String] = []
        for name in unique {
            if var record = state[name], isRunning(record) {
                // Naming a host in `up` trusts the key it has now (even after a rekey).
                record.trustedKey = record.host.hostKey
                state.put(record)
                continue
            }
            let record = try start(name: name, flavor: flavor, cgroupControllers: cgroupControllers, state: &state)
            state.put(record)
            // Saved at once: if we die now, `down` still knows what to clean up.
            try state.save(to: statePath)
            started.append(name)
        }
        var failure: Error?
        for name in started {
            guard var record = state[name] else { continue }
            do {
                try waitUntilReady(&record)
            } catch {
                failure = failure ?? error
            }
            state.put(record)
        }
        try state.save(to: statePath)
        try writeClientFiles(state)
        if let failure { throw failure }
        return unique.compactMap { state[$0]?.host }
    }

    /// Creates (or, for a dead host, re-creates) the host's network and starts its init.
    private func start(name: String, flavor: LabFlavor, cgroupControllers: Bool = false, state: inout LabState) throws -> LabHostRecord {
        let hostDirectory = HostDirectory(lab: directory, name: name)
        var record: LabHostRecord
        if let existing = state[name] {
            record = existing
            stopProcesses(record)
            if flavor == .systemd { try SystemdHost.cleanUp(name: name, slot: record.slot, directory: hostDirectory) }
        } else {
            if hostDirectory.exists { try removeHostDirectory(hostDirectory) }
            let slot = state.freeSlot(for: name)
            let address = LabAddressing.address(slot: slot)
            let lowerRoot = flavor == .light ? "/" : baseTree.path
            try hostDirectory.writeIdentity(name: name, address: address,
                                            clientPublicKey: LabSSH.publicKey(at: clientKeyPath + ".pub"),
                                            lowerRoot: lowerRoot)
            switch flavor {
            case .light: try LightHost.prepare(hostDirectory)
            case .systemd:
                try SystemdHost.prepare(hostDirectory)
                if cgroupControllers { try CgroupControllers.prepare(hostDirectory) }
            }
            let key = try LabSSH.publicKey(at: hostDirectory.hostKey + ".pub")
            record = LabHostRecord(host: LabHost(name: name, address: address, flavor: flavor, hostKey: key),
                                   slot: slot)
            record.cgroupControllers = flavor == .systemd && cgroupControllers ? true : nil
        }
        try LabNetwork.createHostNetwork(name: name, slot: record.slot, address: record.host.address)
        switch flavor {
        case .light:
            record.launcher = try LightHost.start(name: name, slot: record.slot, directory: hostDirectory, lab: directory, initScript: initScriptPath)
        case .systemd:
            record.launcher = try SystemdHost.start(name: name, slot: record.slot, directory: hostDirectory, tree: baseTree,
                                                    cgroupControllers: record.cgroupControllers ?? false)
        }
        record.initProcess = nil
        record.trustedKey = record.host.hostKey
        return record
    }

    /// Waits for the host's sshd to greet, then remembers its init; systemd hosts must also finish booting.
    private func waitUntilReady(_ record: inout LabHostRecord) throws {
        let name = record.host.name
        let console = HostDirectory(lab: directory, name: name).console
        let seconds: TimeInterval = record.host.flavor == .light ? 20 : 90
        let launcher = record.launcher
        let answered = LabSSH.waitForBanner(address: record.host.address,
                                            deadline: Date().addingTimeInterval(seconds),
                                            stillStarting: { launcher?.isAlive ?? false })
        guard answered else {
            let reason = launcher?.isAlive == true ? "did not answer on port 22 within \(Int(seconds)) s"
                                                   : "stopped while starting"
            throw KeelError("lab: \(name) (\(record.host.flavor.rawValue)) \(reason)",
                            found: "last lines of \(console):\n\(tail(of: console))")
        }
        guard let initProcess = launcher?.namespaceInit(depth: 4) else {
            throw KeelError("lab: \(name) answers, but its init process cannot be found under PID \(launcher?.pid ?? 0)")
        }
        record.initProcess = initProcess
        if record.host.flavor == .systemd {
            let boot = try run(in: record, "timeout 60 systemctl is-system-running --wait")
            let systemState = boot.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            guard systemState == "running" || systemState == "degraded" else {
                let failed = try? run(in: record, "systemctl --failed --no-legend --plain")
                throw KeelError("lab: systemd in \(name) did not finish booting",
                                expected: "`systemctl is-system-running` to say running or degraded",
                                found: "\(systemState.isEmpty ? "nothing" : systemState); failed units: "
                                    + (failed?.stdout ?? "unknown"))
            }
        }
    }

    // MARK: - Taking hosts down

    /// Stops the named hosts (all of them for nil) and removes every trace of them: processes (only the
    /// ones the lab recorded), mounts, namespaces, links, files. Unknown names are ignored.
    public func down(names: [String]?) throws {
        try Self.requireRoot()
        guard FileManager.default.fileExists(atPath: directory) else { return }
        try FileManager.default.createDirectory(atPath: Self.machineLockDirectory, withIntermediateDirectories: true)
        try LabLock.holding(directory) { try LabLock.holding(Self.machineLockDirectory) {
            var state = try LabState.load(from: statePath)
            let targets = names ?? state.hosts.map(\.host.name)
            for name in targets {
                guard let record = state[name] else { continue }
                stopProcesses(record)
                let hostDirectory = HostDirectory(lab: directory, name: name)
                if record.host.flavor == .systemd {
                    try SystemdHost.cleanUp(name: name, slot: record.slot, directory: hostDirectory)
                }
                LabNetwork.removeHostNetwork(name: name, slot: record.slot, address: record.host.address)
                try removeHostDirectory(hostDirectory)
                state.remove(name)
                try state.save(to: statePath)
            }
            try writeClientFiles(state)
            if state.hosts.isEmpty {
                try? FileManager.default.removeItem(atPath: initScriptPath)
                let ports = try? Subprocess.run(["ip", "-o", "link", "show", "master", LabAddressing.bridge])
                if let ports, ports.status == 0, ports.stdout.isEmpty { LabNetwork.removeBridge() }
            }
        } }
    }

    /// Kills the host's init (which takes its whole PID namespace with it), then its launcher.
    private func stopProcesses(_ record: LabHostRecord) {
        let initProcess = record.initProcess ?? record.launcher?.namespaceInit(depth: 4)
        initProcess?.terminate()
        if let launcher = record.launcher, !launcher.waitForExit(within: initProcess == nil ? 0.2 : 5) {
            launcher.terminate()
        }
    }

    private func removeHostDirectory(_ hostDirectory: HostDirectory) throws {
        guard hostDirectory.exists else { return }
        let mounted = Mounts.under(hostDirectory.path)
        guard mounted.isEmpty else {
            throw KeelError("lab: refusing to delete \(hostDirectory.path) while something is mounted in it",
                            found: mounted.joined(separator: ", "))
        }
        try Subprocess.check(["rm", "-rf", "--one-file-system", hostDirectory.path],
                             doing: "removing \(hostDirectory.path)")
    }

    // MARK: - Looking at hosts

    /// Every host the lab knows, running or not.
    public func list() throws -> [LabHost] {
        try LabState.load(from: statePath).hosts.map(\.host)
    }

    /// True when the host's processes run and its sshd answers.
    public func isRunning(_ name: String) throws -> Bool {
        try record(name).map(isRunning) ?? false
    }

    /// The PIDs the lab recorded for the host (its launcher and its init), for checking they are gone.
    public func processes(_ name: String) throws -> [Int32] {
        guard let record = try record(name) else { return [] }
        return [record.launcher, record.initProcess].compactMap { $0?.pid }
    }

    func isRunning(_ record: LabHostRecord) -> Bool {
        guard let launcher = record.launcher, launcher.isAlive,
              let initProcess = record.initProcess, initProcess.isAlive else { return false }
        return LabSSH.answers(address: record.host.address)
    }

    private func record(_ name: String) throws -> LabHostRecord? {
        try LabState.load(from: statePath)[name]
    }

    private func runningRecord(_ name: String) throws -> LabHostRecord {
        let state = try LabState.load(from: statePath)
        guard let record = state[name] else {
            throw KeelError("lab: there is no lab host named '\(name)'", found: name,
                            suggestion: Suggestion.closest(to: name, among: state.hosts.map(\.host.name)))
        }
        guard record.initProcess?.isAlive == true else {
            throw KeelError("lab: \(name) is not running", suggestion: nil)
        }
        return record
    }

    // MARK: - Acting inside hosts

    /// Runs `/bin/sh -c script` inside the host (all its namespaces and its root, entered with nsenter;
    /// not over SSH), as root with a clean environment.
    public func exec(_ name: String, _ script: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try Self.requireRoot()
        let result = try run(in: runningRecord(name), script)
        return (result.status, result.stdout, result.stderr)
    }

    func run(in record: LabHostRecord, _ script: String) throws -> Subprocess.Result {
        guard let initProcess = record.initProcess else {
            throw KeelError("lab: \(record.host.name) is not running")
        }
        return try Subprocess.run([
            "nsenter", "--target", String(initProcess.pid), "--all", "--root", "--wd",
            "env", "-i", "PATH=\(Subprocess.searchPath)", "HOME=/root", "LANG=C.UTF-8", "TERM=dumb",
            "/bin/sh", "-c", script,
        ])
    }

    /// Gives the host a new ed25519 key and makes its sshd serve it (existing sessions survive). The
    /// returned host (and `list`) carry the new key, but known_hosts keeps the old one until the host is
    /// named in an `up` again: strict clients refuse it meanwhile, as they would a re-installed server.
    public func rekey(_ name: String) throws -> LabHost {
        try Self.requireRoot()
        return try LabLock.holding(directory) {
            var record = try runningRecord(name)
            let result = try run(in: record, """
                set -e
                rm -f /etc/ssh/ssh_host_ed25519_key /etc/ssh/ssh_host_ed25519_key.pub
                ssh-keygen -q -t ed25519 -N '' -C root@\(name) -f /etc/ssh/ssh_host_ed25519_key
                kill -HUP "$(cat /run/sshd.pid)"
                cat /etc/ssh/ssh_host_ed25519_key.pub
                """)
            guard result.status == 0 else {
                throw KeelError("lab: could not give \(name) a new host key", found: result.stderr)
            }
            let key = LabSSH.keyWithoutComment(result.stdout)
            // sshd re-executes itself on SIGHUP; wait until it serves the new key.
            let deadline = Date().addingTimeInterval(10)
            while LabSSH.scanKey(address: record.host.address) != key {
                guard Date() < deadline else {
                    throw KeelError("lab: \(name)'s sshd did not start serving its new key within 10 s")
                }
                usleep(100_000)
            }
            record.host.hostKey = key
            var state = try LabState.load(from: statePath)
            state.put(record)
            try state.save(to: statePath)
            return record.host
        }
    }

    /// Kills the host's sshd and every SSH session on it, as if the host died under a running play. A
    /// light host dies with its sshd (tini exits); a systemd host keeps running without sshd. Either
    /// way the next `up` brings it back.
    public func stopSSH(_ name: String) throws {
        try Self.requireRoot()
        try LabLock.holding(directory) {
            let record = try runningRecord(name)
            switch record.host.flavor {
            case .light:
                record.initProcess?.terminate()
            case .systemd:
                _ = try run(in: record, """
                    systemctl stop ssh.socket ssh.service 2>/dev/null
                    for p in /proc/[0-9]*; do
                        [ "$(cat "$p/comm" 2>/dev/null)" = sshd ] && kill -KILL "${p#/proc/}" 2>/dev/null
                    done
                    true
                    """)
            }
        }
    }

    // MARK: - Files for clients

    private func ensureClientKey() throws {
        if FileManager.default.fileExists(atPath: clientKeyPath),
           FileManager.default.fileExists(atPath: clientKeyPath + ".pub") { return }
        try LabSSH.generateKey(at: clientKeyPath, comment: "keel-lab")
    }

    private func writeClientFiles(_ state: LabState) throws {
        let hosts = state.hosts.map(\.host)
        try writeAtomically(Data(LabFiles.knownHosts(state.hosts.map(\.knownHost)).utf8), to: knownHostsPath)
        try writeAtomically(Data(LabFiles.inventory(hosts, clientKey: clientKeyPath,
                                                    knownHosts: knownHostsPath).utf8), to: inventoryPath)
    }

    static func requireRoot() throws {
        let uid = geteuid()
        guard uid == 0 else {
            throw KeelError("keel lab needs root: it creates network namespaces, mounts and processes; run it with sudo",
                            expected: "uid 0", found: "uid \(uid)")
        }
    }
}
