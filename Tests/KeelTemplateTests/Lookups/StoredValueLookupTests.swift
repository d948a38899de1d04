import Foundation
import KeelBase
import KeelTemplate
import Synchronization
import Testing

/// password, csvfile, ini: values kept in controller files.
@Suite struct StoredValueLookupTests {
    @Test func passwordIsGeneratedStoredAndReused() throws {
        let f = try LookupFixture()
        let first = try f.value("lookup('password', 'credentials/db length=12 chars=digits')")
        guard case .string(let password) = first else { Issue.record("not a string: \(first)"); return }
        #expect(password.count == 12 && password.allSatisfy(\.isNumber))
        #expect(f.read("credentials/db") == password + "\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: f.directory + "/credentials/db")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let directory = try FileManager.default.attributesOfItem(atPath: f.directory + "/credentials")
        #expect((directory[.posixPermissions] as? Int) == 0o700)
        #expect(try f.value("lookup('password', 'credentials/db', length=30)") == first)
    }

    @Test func hostsRenderingAtOnceShareOnePassword() throws {
        let f = try LookupFixture()
        let results = Mutex<[Value]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            let value = (try? f.value("lookup('password', 'credentials/shared')")) ?? .null
            results.withLock { $0.append(value) }
        }
        let all = results.withLock { $0 }
        #expect(all.count == 8 && Set(all.map { $0.stringValue ?? "" }).count == 1 && all[0].stringValue?.count == 20)
        #expect(f.read("credentials/shared") == (all[0].stringValue ?? "") + "\n")
    }

    @Test func anExistingFilesContentIsThePasswordWithoutItsSalt() throws {
        let f = try LookupFixture(files: ["pw": "s3cret salt=abcdefgh\n"])
        #expect(try f.value("lookup('password', 'pw')") == "s3cret")
    }

    @Test func devNullGivesAFreshPasswordAndWritesNothing() throws {
        let f = try LookupFixture()
        let a = try f.value("lookup('password', '/dev/null', chars=['ascii_lowercase'], length=16)")
        let b = try f.value("lookup('password', '/dev/null', chars=['ascii_lowercase'], length=16)")
        #expect(a != b)
        #expect(a.stringValue?.count == 16 && a.stringValue?.allSatisfy { $0.isLowercase } == true)
        #expect(try f.value("lookup('password', '/dev/null')").stringValue?.count == 20)
    }

    @Test func passwordRefusesWhatKeelCannotReproduce() throws {
        let f = try LookupFixture()
        #expect(throws: KeelError.self) { try f.value("lookup('password', '/dev/null', encrypt='sha512_crypt')") }
        #expect(throws: KeelError.self) { try f.value("lookup('password', '/dev/null', seed='x')") }
        #expect(throws: KeelError.self) { try f.value("lookup('password', '/dev/null colour=red')") }
    }

    @Test func passwordCharsAcceptTheCommaStringForm() throws {
        let f = try LookupFixture()
        let value = try f.value("lookup('password', '/dev/null chars=digits,,, length=40')").stringValue ?? ""
        #expect(value.count == 40 && value.allSatisfy { $0.isNumber || $0 == "," })
    }

    @Test func csvfileFindsTheColumnOfTheMatchingRow() throws {
        let f = try LookupFixture(files: ["files/hosts.csv": "name,ip,role\nweb1,10.0.0.1,\"front, end\"\ndb1,10.0.0.2,db\n",
                                          "files/ansible.csv": "k\tv\n"])
        #expect(try f.value("lookup('csvfile', 'db1 file=hosts.csv delimiter=,')") == "10.0.0.2")
        #expect(try f.value("lookup('csvfile', 'web1', file='hosts.csv', delimiter=',', col=2)") == "front, end")
        #expect(try f.value("lookup('csvfile', 'nobody', file='hosts.csv', delimiter=',', default='none')") == "none")
        #expect(try f.value("lookup('csvfile', 'k')") == "v")
    }

    @Test func iniReadsSectionsAsConfigparser() throws {
        let f = try LookupFixture(files: ["files/app.ini": """
            [DEFAULT]
            shared = yes
            [global]
            User = bob
            pct = 50%%
            ref = %(user)s-x
            [db]
            host: db1
            port = 5432
            ; comment
            multi = a
              b
            """, "files/user.properties": "user.name = alice\n"])
        #expect(try f.value("lookup('ini', 'user', file='app.ini')") == "bob")
        #expect(try f.value("lookup('ini', 'pct', file='app.ini')") == "50%")
        #expect(try f.value("lookup('ini', 'ref', file='app.ini')") == "bob-x")
        #expect(try f.value("lookup('ini', 'ref', file='app.ini', interpolation=False)") == "%(user)s-x")
        #expect(try f.value("lookup('ini', 'shared', file='app.ini', section='db')") == "yes")
        #expect(try f.value("lookup('ini', 'host section=db file=app.ini')") == "db1")
        #expect(try f.value("lookup('ini', 'multi', section='db', file='app.ini')") == "a\nb")
        #expect(try f.value("lookup('ini', 'missing', file='app.ini', default='d')") == "d")
        #expect(try f.value("query('ini', 'p.*', section='db', file='app.ini', re=True)") == ["5432"])
        #expect(try f.value("lookup('ini', 'user.name', type='properties', file='user.properties')") == "alice")
        #expect(throws: KeelError.self) { try f.value("lookup('ini', 'x', section='nope', file='app.ini')") }
    }

    @Test func iniRefusesDuplicateKeys() throws {
        let f = try LookupFixture(files: ["files/dup.ini": "[global]\na = 1\nA = 2\n"])
        #expect(throws: KeelError.self) { try f.value("lookup('ini', 'a', file='dup.ini')") }
        #expect(try f.value("lookup('ini', 'A', file='dup.ini', case_sensitive=True)") == "2")
    }
}
