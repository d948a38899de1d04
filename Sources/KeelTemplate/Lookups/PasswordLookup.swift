import Foundation
import KeelBase
import OrderedCollections

/// password: a random password kept in a controller file, as Ansible's. The term is a path (relative to
/// the playbook's directory) optionally followed by `key=value` options (length, chars); keyword
/// arguments do the same. An existing file's content (up to ` salt=`) is the password; otherwise one is
/// generated and written (directories 0700, file 0600) so later runs get the same. `/dev/null` gives a
/// fresh password every time and writes nothing. `encrypt` and `seed` need Python's passlib and
/// Mersenne Twister to give Ansible's values; Keel refuses them rather than give different ones.
enum PasswordLookup {
    static let all: [String: LookupBody] = [
        "password": { terms, options, environment in try password(terms, options, environment) },
    ]

    static let defaults: OrderedDictionary<String, Value> = [
        "length": 20, "chars": ["ascii_letters", "digits", ".,:-_"], "encrypt": .null, "ident": .null, "seed": .null,
    ]

    static let characterSets: [String: String] = [
        "ascii_letters": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "ascii_lowercase": "abcdefghijklmnopqrstuvwxyz",
        "ascii_uppercase": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "digits": "0123456789",
        "hexdigits": "0123456789abcdefABCDEF",
        "octdigits": "01234567",
        "punctuation": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
        "whitespace": " \t\n\r\u{0B}\u{0C}",
        "printable": "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\u{0B}\u{0C}",
    ]

    static func password(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        try terms.map { term in
            var options = try LookupOptions("password", defaults: defaults, given: given)
            let text = try term.lookupTerm("password")
            var relativePath = text
            if let space = text.firstIndex(of: " ") {
                relativePath = String(text[..<space])
                var params = try KeyValueText.parse(String(text[text.index(after: space)...]))
                if let raw = params.removeValue(forKey: "_raw_params") {
                    relativePath += " " + raw
                    guard text.hasPrefix(relativePath) else { throw KeelError("Unrecognized value after key=value parameters given to password lookup", found: text) }
                }
                let invalid = params.keys.filter { defaults[$0] == nil }
                guard invalid.isEmpty else {
                    throw KeelError("Unrecognized parameter(s) given to password lookup: \(invalid.joined(separator: ", "))", expected: defaults.keys.joined(separator: ", "))
                }
                for (key, value) in params { try options.set(key, .string(value)) }
            }
            for refused in ["encrypt", "seed"] where !options[refused].isNull {
                throw KeelError("lookup 'password': the '\(refused)' option is not supported by Keel", expected: "a plain password (hash it with a module that takes clear text)", found: refused)
            }
            let length = try options.int("length")
            let candidates = Array(candidateCharacters(options["chars"]))
            guard !candidates.isEmpty || length == 0 else { throw KeelError("lookup 'password': chars gives no characters to choose from") }
            let path = relativePath == "/dev/null" ? relativePath : SearchPath.join(environment.baseDirectory(), SearchPath.expandHome(relativePath))
            // Hosts render side by side: the first to need a password file creates it, the others read it.
            storeLock.lock()
            defer { storeLock.unlock() }
            if path != "/dev/null", let data = FileManager.default.contents(atPath: path) {
                let content = String(decoding: data, as: UTF8.self).trimmingTrailingPythonWhitespace()
                if let salt = content.range(of: " salt=", options: .backwards) { return .string(String(content[..<salt.lowerBound])) }
                return .string(content)
            }
            var generator = SystemRandomNumberGenerator()
            let generated = String((0..<length).map { _ in candidates.randomElement(using: &generator)! })
            if path != "/dev/null" { try store(generated, at: path) }
            return .string(generated)
        }
    }

    /// The `chars` option: names of Python `string` constants or literal characters; in a comma-separated
    /// string, ",," stands for a comma. Quotes are never candidates.
    private static let storeLock = NSLock()

    static func candidateCharacters(_ chars: Value) -> String {
        var specs: [String] = []
        switch chars {
        case .string(let s):
            if s.contains(",,") { specs.append(",") }
            specs += s.replacingOccurrences(of: ",,", with: ",").split(separator: ",").map(String.init)
        case .list(let l): specs = l.compactMap(\.stringValue)
        default: break
        }
        return specs.map { characterSets[$0] ?? $0 }.joined().filter { $0 != "\"" && $0 != "'" }
    }

    static func store(_ password: String, at path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            guard FileManager.default.createFile(atPath: path, contents: Data((password + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
                throw KeelError("cannot write \(path)")
            }
        } catch {
            throw KeelError("lookup 'password': cannot store the password in \(path): \(error)")
        }
    }
}
