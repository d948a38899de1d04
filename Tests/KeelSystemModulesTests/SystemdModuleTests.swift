import Foundation
import KeelBase
import KeelModules
import Testing

/// systemd_service and service against a host that boots real systemd; a light host (no systemd) for
/// the clear error and the SysV fallback.
@Suite("systemd and service modules on lab hosts", .serialized) struct SystemdModuleTests {
    static let unitFile = """
        [Unit]
        Description=Keel test unit

        [Service]
        ExecStart=/bin/sleep infinity
        ExecReload=/bin/true

        [Install]
        WantedBy=multi-user.target

        """

    func systemdHost() async throws -> SystemLabHost { try await SystemLabHost.make("sysd", flavor: .systemd) }

    /// Writes a unit file; `vendor` puts it in /usr/lib/systemd/system (units there can be masked,
    /// units in /etc/systemd/system cannot).
    func dropUnit(_ host: SystemLabHost, _ name: String, description: String = "Keel test unit", vendor: Bool = false, reset: Bool = true) throws {
        let text = Self.unitFile.replacingOccurrences(of: "Keel test unit", with: description)
        let directory = vendor ? "/usr/lib/systemd/system" : "/etc/systemd/system"
        let resetting = reset ? "systemctl stop \(name) 2>/dev/null; systemctl unmask \(name) 2>/dev/null; systemctl disable \(name) 2>/dev/null; " : ""
        let other = vendor ? "/etc/systemd/system" : "/usr/lib/systemd/system"
        try host.inspect(resetting + "rm -f \(other)/\(name).service; printf '%s' '\(text)' > \(directory)/\(name).service")
    }

    static func fingerprint(_ unit: String) -> String { "systemctl is-active \(unit) || true; systemctl is-enabled \(unit) || true" }

    @Test func aNewUnitIsLoadedStartedAndEnabledOnce() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-demo")
        let args: [String: Value] = ["name": "keel-demo", "state": "started", "enabled": true, "daemon_reload": true]
        let result = try await host.converges(SystemdModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }),
                                              fingerprint: Self.fingerprint("keel-demo"))
        #expect(try host.inspect(Self.fingerprint("keel-demo")) == "active\nenabled\n")
        #expect(result.diffs.first?.before.contains("state: inactive") == true)
        #expect(result.diffs.first?.after.contains("state: active") == true)
        #expect(result.values["status"]?["ActiveState"] == "active", "the result carries the state after the change")
    }

    @Test func stoppedAndDisabledUndoesIt() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-stop")
        try host.inspect("systemctl daemon-reload && systemctl enable --now keel-stop")
        try await host.converges(SystemdModule.self, ["name": "keel-stop.service", "state": "stopped", "enabled": false],
                                 fingerprint: Self.fingerprint("keel-stop"))
        #expect(try host.inspect(Self.fingerprint("keel-stop")) == "inactive\ndisabled\n")
    }

    /// A unit enabled for this boot only (`enabled-runtime`) is not enabled for `enabled: true`, as in
    /// ansible-core: it is enabled for good, once; `enabled: false` leaves it alone.
    @Test func aRuntimeEnabledUnitIsEnabledForGood() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-runtime")
        try host.inspect("systemctl daemon-reload && systemctl enable --runtime keel-runtime")
        #expect(try host.inspect("systemctl is-enabled keel-runtime || true") == "enabled-runtime\n")
        let off = try await host.run(SystemdModule.self, ["name": "keel-runtime", "enabled": false])
        #expect(!off.changed)
        try await host.converges(SystemdModule.self, ["name": "keel-runtime", "enabled": true], fingerprint: Self.fingerprint("keel-runtime"))
        #expect(try host.inspect("systemctl is-enabled keel-runtime || true") == "enabled\n")
    }

    @Test func restartedAlwaysRestartsAndGetsANewProcess() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-restart")
        try host.inspect("systemctl daemon-reload && systemctl start keel-restart")
        let pid = try host.inspect("systemctl show -p MainPID --value keel-restart")
        let check = try await host.run(SystemdModule.self, ["name": "keel-restart", "state": "restarted"], .check)
        #expect(check.changed)
        #expect(try host.inspect("systemctl show -p MainPID --value keel-restart") == pid, "check mode does not restart")
        #expect(try await host.run(SystemdModule.self, ["name": "keel-restart", "state": "restarted"]).changed)
        let newPID = try host.inspect("systemctl show -p MainPID --value keel-restart")
        #expect(newPID != pid && newPID != "0\n")
        #expect(try await host.run(SystemdModule.self, ["name": "keel-restart", "state": "reloaded"]).changed)
    }

    @Test func maskedUnitsCannotStartAndUnmaskingRestoresThem() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-mask", vendor: true)
        try host.inspect("systemctl daemon-reload")
        try await host.converges(SystemdModule.self, ["name": "keel-mask", "masked": true], fingerprint: Self.fingerprint("keel-mask"))
        #expect(try host.inspect("systemctl is-enabled keel-mask || true") == "masked\n")
        #expect(try host.inspect("systemctl start keel-mask 2>/dev/null && echo started || echo refused") == "refused\n")
        try await host.converges(SystemdModule.self, ["name": "keel-mask", "masked": false, "state": "started"], fingerprint: Self.fingerprint("keel-mask"))
        #expect(try host.inspect("systemctl is-active keel-mask") == "active\n")
    }

    @Test func daemonReloadRunsOnlyWhenAUnitFileChanged() async throws {
        let host = try await systemdHost()
        try dropUnit(host, "keel-reload")
        // Running, so systemd keeps the unit loaded (an unreferenced unit is read afresh from disk).
        try host.inspect("systemctl daemon-reload && systemctl start keel-reload")
        #expect(try await host.run(SystemdModule.self, ["name": "keel-reload", "daemon_reload": true]).changed == false)
        try dropUnit(host, "keel-reload", description: "changed description", reset: false)
        #expect(try host.inspect("systemctl show -p NeedDaemonReload --value keel-reload") == "yes\n")
        try await host.converges(SystemdModule.self, ["name": "keel-reload", "daemon_reload": true],
                                 fingerprint: "systemctl show -p NeedDaemonReload,Description keel-reload")
        #expect(try host.inspect("systemctl show -p Description --value keel-reload") == "changed description\n")
        // Without a name: any loaded unit that changed on disk.
        try dropUnit(host, "keel-reload", description: "third", reset: false)
        try await host.converges(SystemdModule.self, ["daemon_reload": true], fingerprint: "systemctl show -p NeedDaemonReload keel-reload")
    }

    @Test func serviceUsesSystemdWhenTheFactsSaySoForCron() async throws {
        let host = try await systemdHost()
        try host.inspect("systemctl stop cron")
        var context = host
        context = SystemLabHost(lab: host.lab, context: { var c = host.context; c.facts = ["service_mgr": "systemd"]; return c }())
        try await context.converges(ServiceModule.self, ["name": "cron", "state": "started", "enabled": true], fingerprint: Self.fingerprint("cron"))
        #expect(try host.inspect("systemctl is-active cron") == "active\n")
    }

    @Test func serviceAsksTheHostWithoutFactsForHAProxy() async throws {
        let host = try await systemdHost()
        try host.inspect("systemctl stop haproxy; systemctl disable haproxy 2>/dev/null; true")
        try await host.converges(ServiceModule.self, ["name": "haproxy", "state": "started"], fingerprint: Self.fingerprint("haproxy"))
        #expect(try host.inspect("systemctl is-active haproxy") == "active\n")
        try await host.converges(ServiceModule.self, ["name": "haproxy", "state": "stopped"], fingerprint: Self.fingerprint("haproxy"))
    }

    @Test func anUnknownUnitFailsClearly() async throws {
        let host = try await systemdHost()
        await #expect { try await host.run(SystemdModule.self, ["name": "no-such-unit-keel", "state": "started"]) } throws: { error in
            "\(error)".contains("could not find the requested service no-such-unit-keel")
        }
    }

    @Test func aHostWithoutSystemdFailsClearly() async throws {
        let host = try await SystemLabHost.make("sysd-light")
        await #expect { try await host.run(SystemdModule.self, ["name": "cron", "state": "started"]) } throws: { error in
            "\(error)".contains("systemd is not running on this host")
        }
    }

    /// A light host has no init system: service falls back to the SysV script in /etc/init.d.
    @Test func serviceFallsBackToTheInitScriptWithoutSystemd() async throws {
        let host = try await SystemLabHost.make("sysd-light")
        try host.inspect("""
            /etc/init.d/keeld stop >/dev/null 2>&1; update-rc.d -f keeld remove >/dev/null 2>&1
            cat > /etc/init.d/keeld <<'EOS'
            #!/bin/sh
            ### BEGIN INIT INFO
            # Provides:          keeld
            # Required-Start:    $remote_fs
            # Required-Stop:     $remote_fs
            # Default-Start:     2 3 4 5
            # Default-Stop:      0 1 6
            # Short-Description: Keel test daemon
            ### END INIT INFO
            pidfile=/run/keeld.pid
            case "$1" in
              start) setsid sleep 100000 </dev/null >/dev/null 2>&1 & echo $! > $pidfile ;;
              stop) [ -f $pidfile ] && kill "$(cat $pidfile)"; rm -f $pidfile ;;
              restart) "$0" stop; "$0" start ;;
              reload) true ;;
              status) [ -f $pidfile ] && kill -0 "$(cat $pidfile)" 2>/dev/null ;;
            esac
            EOS
            chmod 755 /etc/init.d/keeld
            """)
        let fingerprint = "/etc/init.d/keeld status && echo running || echo stopped"
        try await host.converges(ServiceModule.self, ["name": "keeld", "state": "started"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "running\n")
        try await host.converges(ServiceModule.self, ["name": "keeld", "state": "stopped"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "stopped\n")
        // enabled: update-rc.d's S links in /etc/rc[2-5].d.
        let links = "ls /etc/rc2.d /etc/rc3.d | grep -c '^S..keeld$' || true"
        try await host.converges(ServiceModule.self, ["name": "keeld", "enabled": true], fingerprint: links)
        #expect(try host.inspect(links) == "2\n")
        try await host.converges(ServiceModule.self, ["name": "keeld", "enabled": false], fingerprint: links)
        #expect(try host.inspect(links) == "0\n")
    }
}
