import Foundation
import KeelBase
import Testing
@testable import KeelModules

/// The text community.mysql's modules read and write, without a server: privilege strings, SHOW GRANTS
/// lines, password hashes, quoting.
@Suite("mysql_* text") struct MySQLTextTests {
    func table(_ t: MySQLPrivileges.Table) -> [String] { t.map { "\($0.object)=\($0.privileges.joined(separator: ","))" } }

    @Test func privilegeStringsUnpackAsTheCollectionUnpacksThem() throws {
        #expect(table(try MySQLPrivileges.unpack("corpusdb.*:ALL", ansiQuotes: false)) == ["`corpusdb`.*=ALL", "*.*=USAGE"])
        #expect(table(try MySQLPrivileges.unpack("*.*:all,grant/app.t:select, insert", ansiQuotes: false)) == ["*.*=ALL,GRANT", "`app`.`t`=SELECT,INSERT"])
        #expect(table(try MySQLPrivileges.unpack("*.*:REPLICATION SLAVE,REPLICATION CLIENT", ansiQuotes: false)) == ["*.*=REPLICATION SLAVE,REPLICATION CLIENT"])
        #expect(table(try MySQLPrivileges.unpack("`my.db`.*:SELECT", ansiQuotes: true)) == ["\"my.db\".*=SELECT", "*.*=USAGE"])
        #expect(table(try MySQLPrivileges.unpack("app.*:SELECT", ansiQuotes: false, ensureUsage: false)) == ["`app`.*=SELECT"])
        #expect(throws: KeelError.self) { try MySQLPrivileges.unpack("app.*", ansiQuotes: false) }
        #expect(throws: KeelError.self) { try MySQLPrivileges.unpack("app.*:SELECT;DROP", ansiQuotes: false) }
        #expect(throws: KeelError.self) { try MySQLPrivileges.unpack("app.t:SELECT (a)", ansiQuotes: false) }
        #expect(MySQLPrivileges.string(from: [("app.*", .string("ALL")), ("*.*", .list(["PROCESS", "RELOAD"]))]) == "app.*:ALL/*.*:PROCESS,RELOAD")
    }

    @Test func showGrantsLinesParseAsTheCollectionParsesThem() throws {
        let grants = [
            "GRANT USAGE ON *.* TO `app`@`localhost` IDENTIFIED BY PASSWORD '*2547AD8FB7CA4506EFE4B83949681346275BB227'",
            "GRANT ALL PRIVILEGES ON `app`.* TO `app`@`localhost`",
            "GRANT SELECT, PROCESS ON *.* TO `report`@`%` IDENTIFIED BY PASSWORD '*5109F56F7FC304125C7D74ACE2D551189C89F583' WITH GRANT OPTION",
            "GRANT `admin` TO `app`@`localhost`",
        ]
        #expect(table(try MySQLPrivileges.parse(grants: grants)) == ["*.*=USAGE,SELECT,PROCESS,GRANT", "`app`.*=ALL"])
        #expect(throws: KeelError.self) { try MySQLPrivileges.parse(grants: ["something else"]) }
    }

    @Test func passwordsHashAsMySQLNativePassword() {
        // SELECT CONCAT('*', UCASE(SHA1(UNHEX(SHA1('root'))))) on MariaDB 10.11.
        #expect(MySQLAccount.nativeHash("root") == "*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B")
        #expect(MySQLAccount.isHash("*81F5E21E35407D884A6CD4A731AEBFB6AF209E1B"))
        #expect(!MySQLAccount.isHash("root") && !MySQLAccount.isHash("*81F5E21E35407D884A6CD4A731AEBFB6AF209E1Z"))
    }

    @Test func accountObservationsParse() {
        let accounts = MySQLAccount.parse(["account:localhost", "hash:*AB\tplugin:mysql_native_password\tauth:*AB", "GRANT USAGE ON *.* TO `a`@`localhost`",
                                           "account:%", "hash:\tplugin:unix_socket\tauth:"])
        #expect(accounts == [MySQLAccount(host: "localhost", passwordHash: "*AB", plugin: "mysql_native_password", authenticationString: "*AB",
                                          grants: ["GRANT USAGE ON *.* TO `a`@`localhost`"]),
                             MySQLAccount(host: "%", passwordHash: "", plugin: "unix_socket", authenticationString: "", grants: [])])
    }

    @Test func namesAndValuesAreQuoted() throws {
        #expect(try MySQLQuote.identifier("we`ird") == "`we``ird`")
        #expect(try MySQLQuote.account("o'brien", "%") == "'o''brien'@'%'")
        #expect(throws: KeelError.self) { try MySQLQuote.literal("a\\b") }
    }

    @Test func replicationTermFollowsTheServerVersion() {
        #expect(MySQLReplicationModule.usesReplicaTerm("10.11.19-MariaDB-0+deb12u1"))
        #expect(!MySQLReplicationModule.usesReplicaTerm("10.3.39-MariaDB-0+deb10u1"))
        #expect(MySQLReplicationModule.usesReplicaTerm("8.0.36"))
        #expect(!MySQLReplicationModule.usesReplicaTerm("5.7.44-log"))
    }

    @Test func theModulesAnswerToTheirCollectionNames() {
        for name in ["mysql_db", "mysql_user", "mysql_variables", "mysql_replication"] {
            #expect(StandardModules.registry.canonicalName(for: "community.mysql." + name) == name)
        }
    }

    @Test func contextFlagsNameOnlyWhatDiffers() {
        let options = SecurityContextOptions(seuser: "system_u", serole: nil, setype: "mysqld_db_t", selevel: "_default")
        #expect(options.chconFlags(current: "system_u:object_r:var_lib_t:s0") == ["-t", "mysqld_db_t"])
        #expect(options.chconFlags(current: "") == ["-u", "system_u", "-t", "mysqld_db_t"], "a path without a context yet gets every given field")
        #expect(options.chconFlags(current: "system_u:object_r:mysqld_db_t:s0").isEmpty)
        var data = Data("file|755|root|root|4096|0|0\n\nKEEL_SECONTEXT system_u:object_r:var_lib_t:s0\n".utf8)
        #expect(SecurityContextOptions.extract(from: &data) == "system_u:object_r:var_lib_t:s0")
        #expect(String(decoding: data, as: UTF8.self) == "file|755|root|root|4096|0|0\n\n")
        var none = Data("absent\n".utf8)
        #expect(SecurityContextOptions.extract(from: &none) == nil)
    }
}
