import Foundation
import KeelBase
import KeelModules
import Testing

/// cron against a real crontab (the systemd host has cron) and /etc/cron.d files (a light host),
/// with Ansible's `#Ansible: NAME` markers.
@Suite("cron module on lab hosts", .serialized) struct CronModuleTests {
    @Test func aUserJobIsAddedChangedAndRemovedByItsMarker() async throws {
        let host = try await SystemLabHost.make("sysd", flavor: .systemd)
        try host.inspect("id kcron >/dev/null 2>&1 || useradd -m kcron; printf 'MAILTO=\"\"\\n# by hand\\n0 1 * * * /bin/true\\n' | crontab -u kcron -")
        let fingerprint = "crontab -u kcron -l 2>/dev/null || true"
        let args: [String: Value] = ["name": "backup", "user": "kcron", "minute": "30", "hour": "2", "job": "/usr/local/bin/backup"]
        let result = try await host.converges(CronModule.self, .init(uniqueKeysWithValues: args.sorted { $0.key < $1.key }), fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "MAILTO=\"\"\n# by hand\n0 1 * * * /bin/true\n#Ansible: backup\n30 2 * * * /usr/local/bin/backup\n")
        #expect(result.diffs.first?.after.hasSuffix("#Ansible: backup\n30 2 * * * /usr/local/bin/backup\n") == true)
        // Same name, new schedule and disabled: the line is changed in place.
        try await host.converges(CronModule.self, ["name": "backup", "user": "kcron", "special_time": "daily", "job": "/usr/local/bin/backup", "disabled": true],
                                 fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint).hasSuffix("#Ansible: backup\n#@daily /usr/local/bin/backup\n"))
        try await host.converges(CronModule.self, ["name": "backup", "user": "kcron", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "MAILTO=\"\"\n# by hand\n0 1 * * * /bin/true\n")
    }

    @Test func environmentVariablesGoToTheTop() async throws {
        let host = try await SystemLabHost.make("sysd", flavor: .systemd)
        try host.inspect("id kcron2 >/dev/null 2>&1 || useradd -m kcron2; printf '#Ansible: x\\n* * * * * /bin/true\\n' | crontab -u kcron2 -")
        let fingerprint = "crontab -u kcron2 -l 2>/dev/null || true"
        try await host.converges(CronModule.self, ["name": "MAILTO", "env": true, "job": "ops@example.test", "user": "kcron2"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "MAILTO=ops@example.test\n#Ansible: x\n* * * * * /bin/true\n")
    }

    @Test func aCronDFileCarriesTheUserColumnAndIsRemovedWhole() async throws {
        let host = try await SystemLabHost.make("cron-light")
        try host.inspect("rm -f /etc/cron.d/keel-cleanup")
        let fingerprint = "cat /etc/cron.d/keel-cleanup 2>/dev/null; stat -c %a /etc/cron.d/keel-cleanup 2>/dev/null; true"
        try await host.converges(CronModule.self, ["name": "cleanup", "cron_file": "keel-cleanup", "user": "www-data", "minute": "*/15",
                                                   "job": "find /srv/tmp -mtime +1 -delete"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "#Ansible: cleanup\n*/15 * * * * www-data find /srv/tmp -mtime +1 -delete\n644\n")
        try await host.converges(CronModule.self, ["name": "whole file", "cron_file": "keel-cleanup", "state": "absent"], fingerprint: fingerprint)
        #expect(try host.inspect(fingerprint) == "")
    }
}

/// Issue 14, defect 6: a job with an embedded newline must not write a second cron line.
@Suite("cron refuses multi-line values on a lab host") struct CronInjectionTests {
    @Test func aJobWithANewlineLeavesTheCronFileUntouched() async throws {
        let host = try await SystemLabHost.make("mv2cron")
        try host.inspect("printf '#Ansible: guard\\n0 3 * * * root /bin/true\\n' > /etc/cron.d/keel-guard")
        let before = try host.inspect("cat /etc/cron.d/keel-guard; stat -c %Y /etc/cron.d/keel-guard")
        await #expect { try await host.run(CronModule.self, ["name": "guard", "cron_file": "keel-guard", "user": "root",
                                                              "job": "/bin/true\n* * * * * root touch /tmp/injected"]) } throws: {
            "\($0)".contains("'job'") && "\($0)".contains("line break")
        }
        #expect(try host.inspect("cat /etc/cron.d/keel-guard; stat -c %Y /etc/cron.d/keel-guard") == before)
        #expect(try host.inspect("grep -c injected /etc/cron.d/keel-guard || true") == "0\n")
    }
}
