import Foundation
import KeelBase
import KeelLab
import KeelReport
import KeelTestSupport
import Testing

/// The VPS's database and backups as a user runs them: roles/vps_postgres and roles/vps_backup converged
/// by a playbook on a systemd lab host, PostgreSQL built offline from this machine's PostgreSQL 15
/// (scripts/build-postgres-lab-image), then the backup service, playbooks/vps-restore.yml and
/// playbooks/vps-backup-check.yml, a recreated container and a restarted host. One host, one test: every
/// step needs the database the steps before it made.
@Suite("VPS database and backups on a systemd lab host", .serialized) struct VPSDataLabTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let passphrase = "lab-only-backup-passphrase-\(UUID().uuidString.prefix(8))"
    static let password = "lab-only-db-password-\(UUID().uuidString.prefix(8))"

    /// Everything of a previous run on a reused host goes, so the first converge starts from a bare host
    /// (the image stays: it is the same one each time).
    static let reset = """
        systemctl disable --now vps-backup.timer container-vps-postgres.service >/dev/null 2>&1
        podman rm -f vps-postgres >/dev/null 2>&1; podman volume rm -f vps-pgdata >/dev/null 2>&1
        podman network rm -f vps-internal >/dev/null 2>&1
        rm -rf /srv/vps /etc/vps /usr/local/sbin/vps-backup /usr/local/sbin/vps-restore /usr/local/sbin/vps-db-fingerprint \
          /etc/systemd/system/vps-backup.service /etc/systemd/system/vps-backup.timer /etc/systemd/system/container-vps-postgres.service
        systemctl daemon-reload; true
        """

    /// What a converge may change on the host, to prove that check mode changed none of it.
    static let hostState = """
        podman ps -a --format '{{.Names}} {{.ID}} {{.State}}'; podman volume ls -q; podman network ls -q
        podman images --format '{{.Repository}}:{{.Tag}} {{.ID}}'
        systemctl is-active container-vps-postgres.service vps-backup.timer; systemctl is-enabled vps-backup.timer
        find /srv/vps /etc/vps /usr/local/sbin /etc/systemd/system -printf '%p %m %U %s %T@\\n' 2>/dev/null | sort
        true
        """

    let lab = LabFixture.shared.lab

    /// The harness directory: inventory, group_vars, the repository's roles and playbooks.
    func harness(for host: LabHost, imageContext: String) throws -> PlaybookHarness {
        var files: [String: String] = [
            "inventory.ini": LabInventory.ini([host], group: "vps", lab: lab),
            "group_vars/all.yml": """
                vault_db_password: \(Self.password)
                vault_backup_passphrase: \(Self.passphrase)
                vps_postgres_image: localhost/keel-postgres:15
                vps_postgres_image_context: \(imageContext)
                """,
            "site.yml": """
                - hosts: vps
                  gather_facts: false
                  roles: [vps_postgres, vps_backup]
                """,
        ]
        for playbook in ["vps-restore.yml", "vps-backup-check.yml"] {
            files[playbook] = try String(contentsOf: Self.repository.appendingPathComponent("playbooks/\(playbook)"), encoding: .utf8)
        }
        for role in ["vps_postgres", "vps_backup"] {
            let base = Self.repository.appendingPathComponent("roles/\(role)")
            let enumerator = FileManager.default.enumerator(atPath: base.path)
            while let name = enumerator?.nextObject() as? String {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: base.path + "/" + name, isDirectory: &isDirectory), !isDirectory.boolValue else { continue }
                files["roles/\(role)/\(name)"] = try String(contentsOfFile: base.path + "/" + name, encoding: .utf8)
            }
        }
        return try PlaybookHarness(files: files)
    }

    /// The offline image's build context, made on this machine by the repository's script.
    func buildImageContext() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keel-pg-image-\(UUID().uuidString)").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Self.repository.appendingPathComponent("scripts/build-postgres-lab-image").path, directory]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw KeelError("build-postgres-lab-image failed: \(message)") }
        return directory
    }

    func exec(_ host: LabHost, _ script: String) throws -> String {
        let result = try lab.exec(host.name, script)
        guard result.status == 0 else { throw KeelError("on \(host.name): `\(script.prefix(120))` exited \(result.status): \(result.stderr)\(result.stdout)") }
        return result.stdout
    }

    /// psql inside the container, as the database's owner over the local socket.
    func sql(_ host: LabHost, _ database: String, _ query: String) throws -> String {
        try exec(host, "podman exec -i vps-postgres psql -X -q -At -v ON_ERROR_STOP=1 -U app -d \(database) <<'SQL'\n\(query)\nSQL")
    }

    func failures(_ outcome: PlaybookHarness.Outcome) -> [String] {
        outcome.results.filter { $0.status == .failed }.map { "\($0.task.name): \($0.message ?? "")" }
    }

    @Test func theDatabaseIsConvergedBackedUpEncryptedRestoredCheckedAndSurvivesRecreateAndRestart() async throws {
        let host = try await LabFixture.shared.hosts(1, flavor: .systemd, prefix: "vps-data")[0]
        _ = try lab.exec(host.name, Self.reset)
        let context = try buildImageContext()
        defer { try? FileManager.default.removeItem(atPath: context) }
        let harness = try harness(for: host, imageContext: context)

        // Check mode on the bare host predicts exactly what the first run changes, and changes nothing.
        let before = try exec(host, Self.hostState)
        let predicted = await harness.play(check: true, diff: true, inventory: ["inventory.ini"])
        #expect(predicted.status == .ok, "check: \(failures(predicted))")
        #expect(try exec(host, Self.hostState) == before, "check mode changed the host")
        let started = Date()
        let first = await harness.play(diff: true, inventory: ["inventory.ini"])
        print("vps_postgres + vps_backup on a bare host: \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        #expect(first.status == .ok, "first run: \(failures(first))")
        #expect(first.changedTasks == predicted.changedTasks, "check mode predicted \(predicted.changedTasks.sorted()), the run changed \(first.changedTasks.sorted())")
        #expect(first.changedTasks.count >= 10, "a bare host gets everything: \(first.changedTasks.sorted())")
        for outcome in [predicted, first] {
            #expect(!"\(outcome.events)".contains(Self.password) && !"\(outcome.events)".contains(Self.passphrase), "a secret is in the run's events or diffs")
        }
        let second = await harness.play(inventory: ["inventory.ini"])
        #expect(second.status == .ok && second.changedTasks.isEmpty, "a second run changes nothing: \(second.changedTasks.sorted()) \(failures(second))")
        let secondCheck = await harness.play(check: true, inventory: ["inventory.ini"])
        #expect(secondCheck.status == .ok && secondCheck.changedTasks.isEmpty, "check mode predicts nothing: \(secondCheck.changedTasks.sorted())")

        // The service: enabled, healthy, on the internal network with its volume, published on loopback only.
        #expect(try exec(host, "systemctl is-enabled container-vps-postgres.service; systemctl is-active container-vps-postgres.service") == "enabled\nactive\n")
        #expect(try exec(host, "podman healthcheck run vps-postgres && echo healthy") == "healthy\n")
        #expect(try exec(host, "podman container inspect --format '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{$v.IPAddress}}{{end}} {{range .Mounts}}{{.Name}}{{end}}' vps-postgres") == "vps-internal 10.89.10.10 vps-pgdata\n")
        #expect(try exec(host, "ss -Hltn 'sport = :5432' | awk '{print $4}'") == "127.0.0.1:5432\n")
        #expect(try exec(host, "podman run --rm --network vps-internal --add-host vps-postgres:10.89.10.10 localhost/keel-postgres:15 pg_isready -h vps-postgres -p 5432") == "vps-postgres:5432 - accepting connections\n",
                "another container on the internal network reaches the database")
        // The password from the vault is the one the server checks (TCP from inside the container: scram).
        #expect(try exec(host, "podman exec -e PGPASSWORD='\(Self.password)' vps-postgres psql -X -At -h 127.0.0.1 -U app -d app -c 'select 1'") == "1\n")
        #expect(try lab.exec(host.name, "podman exec -e PGPASSWORD=wrong vps-postgres psql -X -At -h 127.0.0.1 -U app -d app -c 'select 1'").status != 0)
        #expect(try exec(host, "stat -c '%n %a %u' /etc/vps/postgres /etc/vps/postgres/db-password /etc/vps/backup /etc/vps/backup/passphrase /srv/vps/backups") == """
            /etc/vps/postgres 700 999
            /etc/vps/postgres/db-password 400 999
            /etc/vps/backup 700 0
            /etc/vps/backup/passphrase 600 0
            /srv/vps/backups 700 0

            """)
        #expect(try exec(host, "systemctl is-enabled vps-backup.timer; systemctl is-active vps-backup.timer") == "enabled\nactive\n")
        #expect(try lab.exec(host.name, "grep -rlF -- '\(Self.passphrase)' /usr/local/sbin /etc/systemd/system").stdout == "",
                "the passphrase is only in its file, not in a script or unit")

        // Rows, then the backup service.
        let marker = "keel-row-\(UUID().uuidString.prefix(8))"
        _ = try sql(host, "app", "CREATE TABLE items (id int PRIMARY KEY, label text); INSERT INTO items SELECT i, '\(marker)-' || i FROM generate_series(1, 50) i;")
        let rows = try sql(host, "app", "SELECT id, label FROM items ORDER BY id")
        #expect(rows.split(separator: "\n").count == 50)
        // Old backups to be removed (10 days) and kept (3 days) once the new one is written.
        _ = try exec(host, """
            umask 077
            echo stale > /srv/vps/backups/app-20200101T000000Z.sql.gz.gpg; touch -d '10 days ago' /srv/vps/backups/app-20200101T000000Z.sql.gz.gpg
            echo recent > /srv/vps/backups/app-20200102T000000Z.sql.gz.gpg; touch -d '3 days ago' /srv/vps/backups/app-20200102T000000Z.sql.gz.gpg
            """)
        _ = try exec(host, "systemctl start vps-backup.service")
        let listing = try exec(host, "ls /srv/vps/backups").split(separator: "\n").map(String.init)
        #expect(!listing.contains("app-20200101T000000Z.sql.gz.gpg"), "a backup older than keep_days (7) is removed: \(listing)")
        #expect(listing.contains("app-20200102T000000Z.sql.gz.gpg"), "a backup younger than keep_days stays: \(listing)")
        let backups = listing.filter { $0.hasSuffix(".sql.gz.gpg") && !$0.hasPrefix("app-2020") }
        #expect(backups.count == 1, "one new backup: \(listing)")
        let backup = "/srv/vps/backups/" + (backups.first ?? "none")
        #expect(try exec(host, "stat -c %a \(backup)") == "600\n")

        // Unreadable without the key: not gzip, not SQL, no row text; a wrong passphrase fails; the right one reads it.
        #expect(try lab.exec(host.name, "gzip -t \(backup)").status != 0, "the backup is not plain gzip")
        #expect(try lab.exec(host.name, "grep -c -a -e '\(marker)' -e 'CREATE TABLE' -e 'PostgreSQL database dump' \(backup)").stdout == "0\n")
        #expect(try lab.exec(host.name, "zcat -f \(backup) 2>/dev/null | grep -c -a '\(marker)'").stdout == "0\n")
        let decrypt = "gpg --batch --quiet --homedir $(mktemp -d) --pinentry-mode loopback --no-symkey-cache --decrypt"
        let wrong = try lab.exec(host.name, "printf wrong > /tmp/wrong-passphrase; \(decrypt) --passphrase-file /tmp/wrong-passphrase \(backup) > /tmp/wrong-out")
        #expect(wrong.status != 0, "a wrong passphrase decrypts nothing")
        #expect(try exec(host, "\(decrypt) --passphrase-file /etc/vps/backup/passphrase \(backup) | gunzip | grep -c '\(marker)-'") == "50\n",
                "with the key, the backup is the gzip'd dump holding the rows")

        // vps-restore: into a scratch database, the same rows; the live database only when asked.
        let restored = await harness.play("vps-restore.yml", inventory: ["inventory.ini"], extraVars: ["vps_restore_database": "app_scratch"])
        #expect(restored.status == .ok, "restore: \(failures(restored))")
        #expect(try sql(host, "app_scratch", "SELECT id, label FROM items ORDER BY id") == rows)
        let refused = await harness.play("vps-restore.yml", inventory: ["inventory.ini"], extraVars: ["vps_restore_database": "app"])
        #expect(refused.status != .ok)
        #expect(failures(refused).joined().contains("refusing to overwrite the live database app"), "\(failures(refused))")
        _ = try sql(host, "app", "DELETE FROM items WHERE id > 40;")
        let replaced = await harness.play("vps-restore.yml", inventory: ["inventory.ini"],
                                          extraVars: ["vps_restore_database": "app", "vps_restore_replace_live": true, "vps_restore_file": .string(backups.first ?? "")])
        #expect(replaced.status == .ok, "replace live: \(failures(replaced))")
        #expect(try sql(host, "app", "SELECT id, label FROM items ORDER BY id") == rows, "the named backup replaced the live database")
        _ = try sql(host, "postgres", "DROP DATABASE app_scratch;")

        // vps-backup-check: passes; fails loudly when the live data moved on and when the backup is corrupt;
        // the scratch database is gone afterwards each time.
        let databases = "SELECT string_agg(datname, ',' ORDER BY datname) FROM pg_database"
        let checked = await harness.play("vps-backup-check.yml", inventory: ["inventory.ini"])
        #expect(checked.status == .ok, "check: \(failures(checked))")
        #expect(try sql(host, "postgres", databases) == "app,postgres,template0,template1\n")
        _ = try sql(host, "app", "INSERT INTO items VALUES (51, 'written after the backup');")
        let moved = await harness.play("vps-backup-check.yml", inventory: ["inventory.ini"])
        #expect(moved.status != .ok)
        #expect(failures(moved).joined().contains("BACKUP CHECK FAILED") && failures(moved).joined().contains("public.items|51|"), "\(failures(moved))")
        _ = try exec(host, "sleep 1; systemctl start vps-backup.service")
        let fresh = await harness.play("vps-backup-check.yml", inventory: ["inventory.ini"])
        #expect(fresh.status == .ok, "check after a new backup: \(failures(fresh))")
        _ = try exec(host, "f=$(ls /srv/vps/backups/app-*.sql.gz.gpg | sort | tail -n 1); size=$(stat -c %s $f); printf 'KEEL' | dd of=$f bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null")
        let corrupt = await harness.play("vps-backup-check.yml", inventory: ["inventory.ini"])
        #expect(corrupt.status != .ok)
        #expect(failures(corrupt).joined().contains("BACKUP CHECK FAILED") && failures(corrupt).joined().contains("does not restore"), "\(failures(corrupt))")
        #expect(try sql(host, "postgres", databases) == "app,postgres,template0,template1\n")

        // The data lives on the volume: a removed container is recreated by the play with the rows intact.
        let rowsNow = try sql(host, "app", "SELECT id, label FROM items ORDER BY id")
        _ = try exec(host, "systemctl stop container-vps-postgres.service; podman rm vps-postgres >/dev/null")
        let recreated = await harness.play(inventory: ["inventory.ini"])
        #expect(recreated.status == .ok, "recreate: \(failures(recreated))")
        #expect(recreated.changedTasks.count == 1, "only the container: \(recreated.changedTasks.sorted())")
        #expect(try sql(host, "app", "SELECT id, label FROM items ORDER BY id") == rowsNow)

        // The host restarts: systemd brings the database and the timer back by themselves.
        _ = try? lab.exec(host.name, "systemctl poweroff")
        let deadline = Date().addingTimeInterval(90)
        while try lab.isRunning(host.name), Date() < deadline { try await Task.sleep(nanoseconds: 500_000_000) }
        #expect(try !lab.isRunning(host.name), "the host did not power off")
        _ = try lab.up(names: [host.name], flavor: .systemd)
        let back = try lab.exec(host.name, """
            for i in $(seq 1 120); do
              podman exec vps-postgres pg_isready -q -h 127.0.0.1 2>/dev/null && break; sleep 1
            done
            systemctl is-active container-vps-postgres.service vps-backup.timer
            """)
        #expect(back.stdout == "active\nactive\n", "after the restart: \(back.stdout) \(back.stderr)")
        #expect(try sql(host, "app", "SELECT id, label FROM items ORDER BY id") == rowsNow)
        let afterRestart = await harness.play(inventory: ["inventory.ini"])
        #expect(afterRestart.status == .ok && afterRestart.changedTasks.isEmpty, "converged after the restart: \(afterRestart.changedTasks.sorted()) \(failures(afterRestart))")

        // A new password in the vault: check mode predicts the password file and the ALTER ROLE, the run
        // changes exactly those, and the server takes the new password only.
        let rotated = "lab-only-db-password-rotated-\(UUID().uuidString.prefix(8))"
        let rotation = await harness.play(check: true, inventory: ["inventory.ini"], extraVars: ["vault_db_password": .string(rotated)])
        #expect(rotation.status == .ok && rotation.changedTasks.count == 2, "check: the password file and ALTER ROLE: \(rotation.changedTasks.sorted()) \(failures(rotation))")
        let rotate = await harness.play(inventory: ["inventory.ini"], extraVars: ["vault_db_password": .string(rotated)])
        #expect(rotate.status == .ok && rotate.changedTasks == rotation.changedTasks, "rotation: \(rotate.changedTasks.sorted()) \(failures(rotate))")
        #expect(try exec(host, "podman exec -e PGPASSWORD='\(rotated)' vps-postgres psql -X -At -h 127.0.0.1 -U app -d app -c 'select 1'") == "1\n")
        #expect(try lab.exec(host.name, "podman exec -e PGPASSWORD='\(Self.password)' vps-postgres psql -X -At -h 127.0.0.1 -U app -d app -c 'select 1'").status != 0,
                "the old password no longer logs in")

        // Another schedule: check mode predicts the timer unit and systemd's reload, the run changes exactly
        // those, and systemd runs the timer on the new schedule.
        let schedule: [String: Value] = ["vault_db_password": .string(rotated), "vps_backup_on_calendar": "*-*-* 04:40:00"]
        let reschedule = await harness.play(check: true, inventory: ["inventory.ini"], extraVars: schedule)
        #expect(reschedule.status == .ok && reschedule.changedTasks.count == 2, "check: the timer unit and the reload: \(reschedule.changedTasks.sorted())")
        let rescheduled = await harness.play(inventory: ["inventory.ini"], extraVars: schedule)
        #expect(rescheduled.status == .ok && rescheduled.changedTasks == reschedule.changedTasks, "reschedule: \(rescheduled.changedTasks.sorted()) \(failures(rescheduled))")
        #expect(try exec(host, "systemctl show -p TimersCalendar --value vps-backup.timer").contains("04:40:00"))
        #expect(try exec(host, "systemctl show -p NeedDaemonReload --value vps-backup.timer; systemctl is-active vps-backup.timer") == "no\nactive\n")
    }
}
