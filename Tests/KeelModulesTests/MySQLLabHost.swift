import Foundation
import KeelBase
import KeelLab
import KeelTestSupport

/// A light lab host running Debian's MariaDB (mariadb-server, installed on this machine by
/// scripts/install-deps.sh and seen through the host's overlay), started by hand as the host has no
/// systemd. root reaches it as on Debian: unix_socket authentication through the local socket, named in
/// /root/.my.cnf as geerlingguy.mysql writes it (community.mysql's driver connects over TCP otherwise).
enum MySQLLabHost {
    static let socket = "/run/mysqld/mysqld.sock"

    /// Starts the server when it is not running, and resets what the suite's playbook manages, so a reused
    /// host starts from the same state: no app databases or users, a `test` database, a stale account, and the accounts whose privileges and password the playbook changes.
    static func prepare(_ host: LabHost) throws {
        try sh(host, """
            mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
            if ! mariadb-admin --no-defaults --socket=\(socket) ping >/dev/null 2>&1; then
              command -v mariadbd >/dev/null || { echo 'mariadb-server is not installed on this machine (scripts/install-deps.sh)' >&2; exit 1; }
              setsid mariadbd --user=mysql --socket=\(socket) </dev/null >/var/log/keel-mariadbd.log 2>&1 &
            fi
            for i in $(seq 1 300); do mariadb-admin --no-defaults --socket=\(socket) ping >/dev/null 2>&1 && break; sleep 0.2; done
            mariadb-admin --no-defaults --socket=\(socket) ping >/dev/null || { tail -20 /var/log/keel-mariadbd.log >&2; exit 1; }
            printf '[client]\\nuser=root\\nsocket=\(socket)\\n' > /root/.my.cnf && chmod 600 /root/.my.cnf
            mariadb --no-defaults --socket=\(socket) -e "DROP DATABASE IF EXISTS keelapp; DROP DATABASE IF EXISTS keelother; CREATE DATABASE IF NOT EXISTS test; \
              DROP USER IF EXISTS 'keelapp'@'localhost', 'report'@'%', 'stale'@'localhost', 'appender'@'%', 'legacy'@'localhost', 'rotate'@'localhost'; \
              CREATE USER 'rotate'@'localhost' IDENTIFIED BY 'rotate-old'; \
              CREATE USER 'stale'@'localhost'; CREATE USER 'appender'@'%' IDENTIFIED BY 'appender-pw'; GRANT SELECT ON keelother.* TO 'appender'@'%'; \
              CREATE USER 'legacy'@'localhost' IDENTIFIED BY 'legacy-pw'; GRANT ALL ON legacydb.* TO 'legacy'@'localhost'; GRANT SELECT ON keelapp.* TO 'legacy'@'localhost'"
            """)
    }

    /// What the playbook leaves on the server, in a form two hosts can be compared by: databases with their
    /// character set, accounts with their password hash, every account's grants.
    static func state(_ host: LabHost) throws -> String {
        try sh(host, """
            q() { mariadb --no-defaults --socket=\(socket) -N -B -e "$1"; }
            q "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys') ORDER BY 1"
            q "SELECT User, Host, plugin, authentication_string FROM mysql.user WHERE User NOT IN ('root', 'mysql', 'mariadb.sys') ORDER BY 1, 2" | while IFS="$(printf '\\t')" read -r u h p a; do
              echo "account $u@$h $p $a"; q "SHOW GRANTS FOR '$u'@'$h'"
            done
            """)
    }

    @discardableResult
    static func sh(_ host: LabHost, _ script: String) throws -> String {
        let result = try LabFixture.shared.lab.exec(host.name, script)
        guard result.status == 0 else { throw KeelError("`\(script.prefix(200))` exited \(result.status) on \(host.name): \(result.stderr)") }
        return result.stdout
    }
}
