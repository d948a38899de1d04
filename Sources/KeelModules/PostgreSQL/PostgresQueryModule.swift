import Foundation
import KeelBase
import OrderedCollections

/// `postgresql_query` (community.postgresql): runs SQL and returns its rows. As the collection does in
/// check mode, observation runs the queries in a transaction and rolls it back, which gives the results
/// and whether they change anything (by the collection's rule on the status message); only then is the
/// transaction run again and committed. With autocommit there is no dry run: the queries run once.
public struct PostgresQueryModule: Module {
    public static let name = "postgresql_query"
    public static let aliases = ["community.postgresql.postgresql_query", "community.general.postgresql_query"]
    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["positional_args", "named_args"]])
    public static let documentation = ModuleDocumentation(
        summary: "Run SQL queries and return their results (through psql)",
        description: """
            Compatible with community.postgresql.postgresql_query: query (a string or a list), positional_args (`%s`) or \
            named_args (`%(name)s`) bound as psycopg2 binds them, results in query_result, query_all_results, rowcount and \
            statusmessage. The task is changed unless every statement is a SELECT or SHOW or an UPDATE/INSERT/DELETE that \
            touched no row. Values are typed as psycopg2 types them for integers, numerics (as floats), booleans and json.
            """,
        examples: """
            - community.postgresql.postgresql_query:
                db: app
                query: SELECT id, name FROM users WHERE name = %(name)s
                named_args: {name: alice}
              become: true
              become_user: postgres
              register: found
            """,
        deviations: [
            "Without autocommit a query that changes something runs twice: once in the rolled-back dry run, once for real (a sequence advanced by nextval() moves twice).",
            "With autocommit, check mode predicts a change and does not run the query (the collection fails).",
            "Dates, times and other types psycopg2 converts to Python objects are returned as PostgreSQL prints them.",
            "A query string holding several statements (a ; inside) is not described, so its values stay text; psql variables (:name) in a query are expanded by psql.",
            "execution_time_ms is not returned.",
        ])

    public struct Arguments: ModuleArguments, PostgresConnectionArguments {
        @Option("query", .raw, help: "The SQL: one string or a list of strings, run in order.") var query: Value?
        @Option("login_db", .string, aliases: ["db"], help: "The database to run in.") var login_db: String?
        @Option("positional_args", .list(.raw), help: "Values for %s placeholders, in order.") var positional_args: [Value]?
        @Option("named_args", .dict, help: "Values for %(name)s placeholders.") var named_args: Value?
        @Option("autocommit", .bool, default: false, help: "Run without a transaction (needed for VACUUM, CREATE DATABASE ...).") var autocommit: Bool
        @Option("encoding", .string, help: "The client encoding.") var encoding: String?
        @Option("search_path", .list(.string), help: "Schemas to search, in order.") var search_path: [String]?
        @Option(PostgresLogin.user) var login_user: String
        @Option(PostgresLogin.password) var login_password: String?
        @Option(PostgresLogin.host) var login_host: String?
        @Option(PostgresLogin.unixSocket) var login_unix_socket: String?
        @Option(PostgresLogin.port) var login_port: Int
        @Option(PostgresLogin.sslMode) var ssl_mode: String
        @Option(PostgresLogin.caCert) var ca_cert: String?
        @Option(PostgresLogin.sessionRole) var session_role: String?
        @Option(PostgresLogin.trustInput) var trust_input: Bool
        public init() {}
    }

    public struct State: Equatable, Sendable {
        /// The dry run's outcomes, nil with autocommit (no dry run).
        var dryRun: [QueryRun.Outcome]?
    }

    public struct Step: Sendable, Codable, Equatable, CustomStringConvertible {
        var target: PostgresTarget
        var run: QueryRun
        var queryList: [String]
        public var description: String { "run " + run.queries.joined(separator: "; ") }
    }

    public init() {}

    static func queryList(_ a: Arguments) throws -> [String] {
        switch a.query {
        case .string(let text)?: return [text]
        case .list(let items)?:
            return try items.map {
                guard let text = $0.stringValue else { throw KeelError("postgresql_query: query must be a string or a list of strings", found: $0.typeName) }
                return text
            }
        case nil, .null?: return []
        default: throw KeelError("postgresql_query: query argument must be of type string or list", found: a.query?.typeName ?? "")
        }
    }

    static func run(_ a: Arguments) throws -> QueryRun {
        let named = a.named_args?.dictValue.map { dict in OrderedDictionaryLike(pairs: dict.map { ($0.key, $0.value) }) }
        let bound = try queryList(a).map { try QueryParameters.bind($0, positional: a.positional_args?.isEmpty == false ? a.positional_args : nil,
                                                                    named: named?.pairs.isEmpty == false ? named : nil) }
        return QueryRun(queries: bound, autocommit: a.autocommit, searchPath: a.search_path, encoding: a.encoding, token: QueryRun.makeToken())
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let run = try Self.run(a)
        guard !a.autocommit, !run.queries.isEmpty else { return State(dryRun: a.autocommit ? nil : []) }
        let output = try await PSQL(target: a.target(database: a.login_db)).run(try run.script(commit: false), on: host, flags: run.flags,
                                                                                 failure: "postgresql_query: cannot execute SQL")
        return State(dryRun: run.parse(output))
    }

    static func values(_ outcomes: [QueryRun.Outcome], queries: [String], queryList: [String]) -> OrderedDictionary<String, Value> {
        let results: [Value] = outcomes.map { $0.rows.isEmpty ? .dict([:]) : .list($0.rows.map(Value.dict)) }
        return [
            "query": .string(queries.last ?? ""),
            "query_list": .list(queryList.map(Value.string)),
            "statusmessage": .string(outcomes.last?.statusMessage ?? ""),
            "query_result": results.last ?? .dict([:]),
            "query_all_results": .list(results),
            "rowcount": .int(outcomes.reduce(0) { $0 + max($1.rowCount, 0) }),
        ]
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let run = try Self.run(a)
        let list = try Self.queryList(a)
        let step = Step(target: a.target(database: a.login_db), run: run, queryList: list)
        guard let outcomes = observed.dryRun else {
            return Plan(steps: [step], values: ["query": .string(run.queries.last ?? ""), "query_list": .list(list.map(Value.string))])
        }
        let values = Self.values(outcomes, queries: run.queries, queryList: list)
        guard outcomes.contains(where: { QueryRun.changes($0.statusMessage) }) else { return .unchanged(values: values) }
        return Plan(steps: [step], diffs: [], values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        var values: OrderedDictionary<String, Value> = [:]
        var changed = false
        for step in plan.steps {
            let output = try await PSQL(target: step.target).run(try step.run.script(commit: true), on: host, flags: step.run.flags,
                                                                 failure: "postgresql_query: cannot execute SQL")
            let outcomes = step.run.parse(output)
            values = Self.values(outcomes, queries: step.run.queries, queryList: step.queryList)
            changed = changed || outcomes.contains { QueryRun.changes($0.statusMessage) }
        }
        return changed ? .changed(values) : .unchanged(values)
    }
}
