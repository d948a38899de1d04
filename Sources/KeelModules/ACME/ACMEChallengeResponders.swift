import Foundation
import KeelACME
import KeelBase
import KeelTransport

/// HTTP-01 through a directory the host's web server serves: WEBROOT/.well-known/acme-challenge/TOKEN.
struct WebrootResponder: ACMEChallengeResponder {
    let host: HostContext
    let webroot: String

    private func path(_ token: String) -> String { "\(webroot)/.well-known/acme-challenge/\(token)" }

    func deploy(domain: String, token: String, keyAuthorization: String) async throws {
        let file = ShellQuote.quote(path(token))
        try await host.runChecked("""
            set -e
            mkdir -p \(ShellQuote.quote(webroot + "/.well-known/acme-challenge"))
            umask 022
            printf '%s' \(ShellQuote.quote(keyAuthorization)) > \(file).tmp && mv -f \(file).tmp \(file)
            """, failure: "cannot put the HTTP-01 answer for \(domain) under \(webroot)")
    }

    func remove(domain: String, token: String) async throws {
        try await host.runChecked("rm -f -- \(ShellQuote.quote(path(token)))", failure: "cannot remove the HTTP-01 answer for \(domain)")
    }
}

/// HTTP-01 answered by HAProxy itself: the key authorization goes into a map through the runtime socket
/// (`add map`), and the frontend answers /.well-known/acme-challenge/TOKEN from it with `http-request
/// return`. No reload, no file written, no other web server.
struct HAProxyMapResponder: ACMEChallengeResponder {
    let host: HostContext
    let socket: String
    let map: String

    func deploy(domain: String, token: String, keyAuthorization: String) async throws {
        try await command("del map \(map) \(token)", allowFailure: true)
        let answer = try await command("add map \(map) \(token) \(keyAuthorization)")
        guard answer.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw KeelError("\(host.name): HAProxy refused to add the HTTP-01 answer for \(domain) to \(map)",
                            expected: "a map HAProxy loaded (declare it in the frontend: see `keel doc acme`)",
                            found: answer.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }

    func remove(domain: String, token: String) async throws {
        try await command("del map \(map) \(token)", allowFailure: true)
    }

    @discardableResult
    private func command(_ text: String, allowFailure: Bool = false) async throws -> String {
        let script = HAProxyRuntimeSocket.shellFunction + "\n" + HAProxyRuntimeSocket.requireSocket(socket) + "\n"
            + "hap \(ShellQuote.quote(socket)) \(ShellQuote.quote(text))"
        let result = try await host.run(script)
        if allowFailure || result.status == 0 { return result.stdoutText }
        let said = String(decoding: result.stderr, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        throw KeelError("\(host.name): HAProxy does not answer on its admin socket \(socket), so it cannot answer the HTTP-01 challenge",
                        expected: "a running HAProxy with `stats socket \(socket) level admin` in global (challenge_responder: haproxy)",
                        found: said.isEmpty ? "no answer (exit status \(result.status))" : said)
    }
}
