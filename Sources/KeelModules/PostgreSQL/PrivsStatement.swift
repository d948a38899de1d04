import KeelBase

/// The GRANT/REVOKE (or ALTER DEFAULT PRIVILEGES) statements of one postgresql_privs task, built as the
/// collection's QueryBuilder builds them, with every name quoted; and the catalog snapshot that tells
/// whether they changed anything.
struct PrivsStatement {
    enum ObjectType: String, OptionChoice {
        case table, sequence, function, procedure, database, schema, language, tablespace, group, default_privs, foreign_data_wrapper, foreign_server, type, parameter
    }

    static let validPrivs: Set<String> = ["SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "CREATE", "CONNECT",
                                          "TEMPORARY", "TEMP", "EXECUTE", "USAGE", "ALL", "SET", "ALTER_SYSTEM", "MAINTAIN"]
    static let validDefaultObjects: [String: Set<String>] = [
        "TABLES": ["ALL", "SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER", "MAINTAIN"],
        "SEQUENCES": ["ALL", "SELECT", "UPDATE", "USAGE"], "FUNCTIONS": ["ALL", "EXECUTE"], "TYPES": ["ALL", "USAGE"], "SCHEMAS": ["CREATE", "USAGE"],
    ]
    static let implicitRoles: Set<String> = ["PUBLIC", "CURRENT_USER", "SESSION_USER", "CURRENT_ROLE"]

    var type: ObjectType
    var present: Bool
    var privs: [String]
    /// Object names as written (functions with their argument types: `f(int, text)`).
    var objs: [String]
    var allInSchema: Bool
    var schema: String?
    /// Role names, already validated; implicit roles upper-cased.
    var roles: [String]
    var targetRoles: [String]
    var grantOption: Bool?

    func roleList() throws -> String {
        try roles.map { try (Self.implicitRoles.contains($0.uppercased()) ? $0.uppercased() : SQLQuote.identifier($0)) }.joined(separator: ",")
    }

    /// `"schema"."name"` for schema-bound types, `"name"` otherwise; functions keep their argument list.
    func objectName(_ obj: String) throws -> String {
        let qualifier = try schema.map { try SQLQuote.identifier($0) + "." } ?? ""
        switch type {
        case .function, .procedure:
            guard let open = obj.firstIndex(of: "(") else {
                throw KeelError("postgresql_privs: illegal function / procedure signature: \(obj)", expected: "name(argument types), e.g. add(int:int)", found: obj)
            }
            let arguments = String(obj[obj.index(after: open)...])
            guard Self.isArgumentList(arguments) else {
                throw KeelError("postgresql_privs: illegal function / procedure signature: \(obj)", expected: "name(type, type), e.g. add(int:int)", found: obj)
            }
            return qualifier + (try SQLQuote.identifier(String(obj[..<open]))) + "(" + arguments
        case .table, .sequence, .type:
            return qualifier + (try SQLQuote.identifier(obj))
        default:
            return try SQLQuote.identifier(obj)
        }
    }

    /// A function's argument types as SQL may spell them (`int, character varying, numeric(10,2), "My Type"[]`)
    /// and nothing else: only names, spaces, commas, dots, brackets and balanced parentheses and quotes,
    /// the list's own `)` last, so the text cannot end the signature and go on with more SQL.
    static func isArgumentList(_ text: String) -> Bool {
        guard text.hasSuffix(")") else { return false }
        var depth = 1
        var quoted = false
        for (index, c) in text.enumerated() {
            if c == "\"" { quoted.toggle(); continue }
            if quoted { continue }
            guard c.isLetter || c.isNumber || " _,.[]()".contains(c) else { return false }
            if c == "(" { depth += 1 }
            if c == ")" { depth -= 1; if depth == 0 && index != text.count - 1 { return false } }
        }
        return depth == 0 && !quoted
    }

    func statements() throws -> [String] {
        let who = try roleList()
        let privText = privs.map { $0.replacingOccurrences(of: "_", with: " ") }.joined(separator: ",")
        let schemaClause = try schema.map { " IN SCHEMA " + (try SQLQuote.identifier($0)) } ?? ""
        if type == .default_privs {
            let asWho = try targetRoles.isEmpty ? "" : " FOR ROLE " + targetRoles.map { try SQLQuote.identifier($0) }.joined(separator: ",")
            guard present else {
                return ["TABLES", "FUNCTIONS", "SEQUENCES", "TYPES"].map { "ALTER DEFAULT PRIVILEGES\(asWho)\(schemaClause) REVOKE ALL ON \($0) FROM \(who)" }
            }
            var out = objs.map { "ALTER DEFAULT PRIVILEGES\(asWho)\(schemaClause) REVOKE ALL ON \($0) FROM \(who)" }
            for obj in objs {
                out.append("ALTER DEFAULT PRIVILEGES\(asWho)\(schemaClause) GRANT \(privText) ON \(obj) TO \(who)" + (grantOption == true ? " WITH GRANT OPTION" : ""))
            }
            return out
        }
        let what: String
        if type == .group {
            what = try objs.map { try SQLQuote.identifier($0) }.joined(separator: ",")
        } else if allInSchema, let schema {
            let kind = ["table": "TABLES", "sequence": "SEQUENCES", "function": "FUNCTIONS", "procedure": "PROCEDURES"][type.rawValue] ?? ""
            what = "\(privText) ON ALL \(kind) IN SCHEMA \(try SQLQuote.identifier(schema))"
        } else {
            what = "\(privText) ON \(type.rawValue.replacingOccurrences(of: "_", with: " ").uppercased()) " + (try objs.map { try objectName($0) }.joined(separator: ","))
        }
        guard present else { return ["REVOKE \(what) FROM \(who)"] }
        switch grantOption {
        case true?: return ["GRANT \(what) TO \(who) WITH \(type == .group ? "ADMIN" : "GRANT") OPTION"]
        case false?: return ["GRANT \(what) TO \(who)", "REVOKE \(type == .group ? "ADMIN" : "GRANT") OPTION FOR \(what) FROM \(who)"]
        case nil: return ["GRANT \(what) TO \(who)"]
        }
    }

    /// A query whose one value changes whenever the statements change a privilege of this type (the ACL
    /// column of the type's catalog, in the schema when there is one): compared before and after.
    func snapshotQuery() throws -> String {
        let inSchema = try schema.map { "n.nspname = " + (try SQLQuote.literal($0)) } ?? "true"
        let body: String
        switch type {
        case .table, .sequence:
            body = "SELECT c.oid::text || coalesce(c.relacl::text, '-') AS x FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE \(inSchema)"
        case .function, .procedure:
            body = "SELECT p.oid::text || coalesce(p.proacl::text, '-') AS x FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE \(inSchema)"
        case .type:
            body = "SELECT t.oid::text || coalesce(t.typacl::text, '-') AS x FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace WHERE \(inSchema)"
        case .schema: body = "SELECT oid::text || coalesce(nspacl::text, '-') AS x FROM pg_catalog.pg_namespace"
        case .database: body = "SELECT oid::text || coalesce(datacl::text, '-') AS x FROM pg_catalog.pg_database"
        case .language: body = "SELECT oid::text || coalesce(lanacl::text, '-') AS x FROM pg_catalog.pg_language"
        case .tablespace: body = "SELECT oid::text || coalesce(spcacl::text, '-') AS x FROM pg_catalog.pg_tablespace"
        case .foreign_data_wrapper: body = "SELECT oid::text || coalesce(fdwacl::text, '-') AS x FROM pg_catalog.pg_foreign_data_wrapper"
        case .foreign_server: body = "SELECT oid::text || coalesce(srvacl::text, '-') AS x FROM pg_catalog.pg_foreign_server"
        case .parameter: body = "SELECT oid::text || coalesce(paracl::text, '-') AS x FROM pg_catalog.pg_parameter_acl"
        case .default_privs:
            // Rows are deleted and re-created by ALTER DEFAULT PRIVILEGES, so their oids are not part of the snapshot.
            body = "SELECT defaclrole::text || ':' || defaclnamespace::text || ':' || defaclobjtype::text || coalesce(defaclacl::text, '-') AS x FROM pg_catalog.pg_default_acl"
        case .group: body = "SELECT roleid::text || ':' || member::text || ':' || admin_option::text AS x FROM pg_catalog.pg_auth_members"
        }
        return "SELECT md5(coalesce(string_agg(x, ',' ORDER BY x), '')) FROM (\(body)) s"
    }
}
