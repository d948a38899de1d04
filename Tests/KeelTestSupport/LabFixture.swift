import KeelLab

/// Lab hosts for tests, shared by every suite in the test process.
///
/// Each suite asks for hosts under its own prefix (`t-<prefix>-1`, `t-<prefix>-2`, ...), so suites in
/// different targets, running side by side, never share or disturb each other's hosts. Hosts are brought
/// up once per process (asking again is cheap: running hosts are left alone) and may be left running
/// after the tests; the test command runs `keel lab down` at the end.
public actor LabFixture {
    public static let shared = LabFixture()

    /// The lab the fixture uses: `KEEL_LAB_DIR` or /var/lib/keel/lab.
    public nonisolated let lab = Lab()
    private var known: [String: [LabHost]] = [:]

    public init() {}

    /// `cgroupControllers`: systemd hosts that enforce container resource limits (Lab.up).
    public func hosts(_ count: Int, flavor: LabFlavor = .light, prefix: String, cgroupControllers: Bool = false) async throws -> [LabHost] {
        let key = "\(flavor.rawValue)/\(prefix)\(cgroupControllers ? "/cgroups" : "")"
        if let hosts = known[key], hosts.count >= count { return Array(hosts.prefix(count)) }
        let names = (1...max(count, 1)).map { "t-\(prefix)-\($0)" }
        let hosts = try lab.up(names: names, flavor: flavor, cgroupControllers: cgroupControllers)
        known[key] = hosts
        return Array(hosts.prefix(count))
    }
}
