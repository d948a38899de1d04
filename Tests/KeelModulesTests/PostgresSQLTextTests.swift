import Foundation
import KeelBase
import OrderedCollections
import Testing
@testable import KeelModules

/// The SQL text the postgresql_* modules write and read, without a server: quoting, parameter binding,
/// psql's csv output, password verifiers and the privilege statements.
@Suite struct PostgresSQLTextTests {
    @Test func namesAndValuesAreQuotedNeverSplicedIn() throws {
        #expect(try SQLQuote.identifier("a\"b; DROP") == "\"a\"\"b; DROP\"")
        #expect(try SQLQuote.literal("it's \\ x") == "E'it''s \\\\ x'")
        #expect(try SQLQuote.splitQualified("\"My.Schema\".t") == ["My.Schema", "t"])
        #expect(throws: KeelError.self) { try SQLQuote.literal("nul\u{0}") }
    }

    @Test func argumentsAreBoundAsPsycopg2BindsThem() throws {
        #expect(try QueryParameters.bind("SELECT %s, %s, %s, %s, 100%%", positional: ["x'y", 3, true, .null], named: nil)
                == "SELECT E'x''y', 3, true, NULL, 100%")
        #expect(try QueryParameters.bind("SELECT %(a)s = ANY(%(b)s::int[])", positional: nil, named: OrderedDictionaryLike(pairs: [("a", 1), ("b", [1, 2])]))
                == "SELECT 1 = ANY(E'{1, 2}'::int[])")
        #expect(try QueryParameters.bind("SELECT '100%'", positional: nil, named: nil) == "SELECT '100%'", "no arguments: the text is left alone")
        #expect(throws: KeelError.self) { try QueryParameters.bind("SELECT %s, %s", positional: [1], named: nil) }
    }

    @Test func psqlCSVOutputIsReadBackWithTypesNullsAndStatus() {
        let run = QueryRun(queries: ["INSERT INTO t VALUES (1) RETURNING *", "UPDATE t SET a = 1 WHERE false"], autocommit: false, searchPath: nil, encoding: nil, token: "tok")
        let output = """
            BEGIN
            SAVEPOINT
            tok desc 0
            Column,Type
            a,integer
            b,text
            n,"numeric(5,2)"
            tok enddesc 0
            ROLLBACK
            tok rows 0
            a,b,n
            1,"x,""y""
            z",toknull
            INSERT 0 1
            tok end 0 1
            SAVEPOINT
            tok desc 1
            The command has no result, or the result has no columns.
            tok enddesc 1
            ROLLBACK
            tok rows 1
            UPDATE 0
            tok end 1 0
            ROLLBACK
            """
        let outcomes = run.parse(output)
        #expect(outcomes.count == 2)
        #expect(outcomes[0].rows == [["a": 1, "b": "x,\"y\"\nz", "n": .null]])
        #expect(outcomes[0].statusMessage == "INSERT 0 1" && outcomes[0].rowCount == 1)
        #expect(outcomes[1].rows.isEmpty && outcomes[1].statusMessage == "UPDATE 0")
        #expect(QueryRun.changes("INSERT 0 1") && !QueryRun.changes("UPDATE 0") && !QueryRun.changes("SELECT 3") && QueryRun.changes("CREATE TABLE"))
    }

    @Test func aTextWithSeveralStatementsIsNotDescribedSoNothingRunsTwice() throws {
        let run = QueryRun(queries: ["INSERT INTO t VALUES (1); INSERT INTO t VALUES (2);", "SELECT 1"], autocommit: true, searchPath: nil, encoding: nil, token: "tok")
        let script = try run.script(commit: true)
        #expect(script.components(separatedBy: "INSERT INTO t VALUES (1)").count == 2, "the two-statement text appears once")
        #expect(script.components(separatedBy: "\\gdesc").count == 2, "only SELECT 1 is described")
        let outcomes = run.parse("tok rows 0\nINSERT 0 1\nINSERT 0 1\ntok end 0 1\ntok rows 1\nn\n1\ntok end 1 1\n")
        #expect(outcomes[0].rows.isEmpty && outcomes[0].statusMessage == "INSERT 0 1")
        #expect(outcomes[1].rows == [["n": "1"]] && outcomes[1].statusMessage == "SELECT 1", "undescribed values stay text")
    }

    @Test func aClearTextPasswordIsCheckedAgainstTheStoredSCRAMVerifier() {
        // Made by PostgreSQL 15 for the password "pencil".
        let stored = "SCRAM-SHA-256$4096:6EReeOCy6eS90RlZzC6rhw==$Wu2ydUZswKZnqANT2HpGO4YPQnUcBJo6m+RS8bnlfZQ=:ZGZuXdxeRVYkQ3goK9kwnS9fD7Sc+Xet57vsQ804vT4="
        #expect(PasswordVerifier.scramMatches(password: "pencil", stored: stored) == true)
        #expect(PasswordVerifier.scramMatches(password: "pencil2", stored: stored) == false)
        #expect(PasswordVerifier.scramMatches(password: "pencil", stored: "md5abc") == nil)
        // PostgreSQL's md5 verifier: md5 of the password followed by the role name.
        #expect(PasswordVerifier.md5(password: "pencil", user: "t1") == "md5e9e5a138840bce61be3720eafb9023e7")
        #expect(PasswordVerifier.isMD5(PasswordVerifier.md5(password: "secret", user: "bob")))
    }

    @Test func userFlagsAreParsedAsTheCollectionParsesThem() throws {
        let flags = try PostgresUserModule.parseFlags("createdb,NOSUPERUSER,LOGIN")
        #expect(flags.map(\.name) == ["CREATEDB", "SUPERUSER", "LOGIN"] && flags.map(\.on) == [true, false, true])
        #expect(throws: KeelError.self) { try PostgresUserModule.parseFlags("CREATEUSER") }
    }

    @Test func privilegeStatementsFollowTheCollectionsQueryBuilder() throws {
        var s = PrivsStatement(type: .function, present: true, privs: ["EXECUTE"], objs: ["add(int,int)"], allInSchema: false, schema: "public",
                               roles: ["app", "public"], targetRoles: [], grantOption: false)
        #expect(try s.statements() == ["GRANT EXECUTE ON FUNCTION \"public\".\"add\"(int,int) TO \"app\",PUBLIC",
                                       "REVOKE GRANT OPTION FOR EXECUTE ON FUNCTION \"public\".\"add\"(int,int) FROM \"app\",PUBLIC"])
        s = PrivsStatement(type: .default_privs, present: true, privs: ["SELECT"], objs: ["TABLES"], allInSchema: false, schema: "public",
                           roles: ["r"], targetRoles: ["owner"], grantOption: nil)
        #expect(try s.statements() == ["ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" IN SCHEMA \"public\" REVOKE ALL ON TABLES FROM \"r\"",
                                       "ALTER DEFAULT PRIVILEGES FOR ROLE \"owner\" IN SCHEMA \"public\" GRANT SELECT ON TABLES TO \"r\""])
        for bad in ["f(int); DROP TABLE x; --)", "f(int) TO PUBLIC, g(int)", "f(\"int)", "f(int -- )"] {
            s = PrivsStatement(type: .function, present: true, privs: ["EXECUTE"], objs: [bad], allInSchema: false, schema: nil,
                               roles: ["r"], targetRoles: [], grantOption: nil)
            #expect(throws: KeelError.self, "\(bad)") { try s.statements() }
        }
        #expect(PrivsStatement.isArgumentList("numeric(10,2), character varying, \"My Type\"[])"))
    }

    @Test func theModulesAnswerToTheirCollectionNames() {
        let registry = StandardModules.registry
        for name in ["postgresql_db", "postgresql_user", "postgresql_privs", "postgresql_query"] {
            #expect(registry.canonicalName(for: "community.postgresql." + name) == name)
        }
    }
}
