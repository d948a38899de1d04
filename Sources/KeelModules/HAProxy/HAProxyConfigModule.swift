import Crypto
import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `haproxy_config`: haproxy.cfg from data (or raw `content`), checked by HAProxy itself before it
/// replaces the old file atomically, then a graceful reload that is confirmed to have a new process
/// serving. Nothing is written or reloaded when the rendered file already matches.
public struct HAProxyConfigModule: Module {
    public static let name = "haproxy_config"

    public static let spec = ArgumentSpec(Arguments.self, mutuallyExclusive: [["content", "global"], ["content", "defaults"], ["content", "frontends"], ["content", "backends"]],
        requiredOneOf: [["content", "frontends", "backends"]])

    public static let documentation = HAProxyConfigDocumentation.page

    public struct Arguments: ModuleArguments {
        @Option("path", .path, default: "/etc/haproxy/haproxy.cfg", aliases: ["dest"], help: "The configuration file HAProxy reads.") var path: String
        @Option("content", .string, help: "The whole file as text (for what the structured options do not cover); excludes global/defaults/frontends/backends.") var content: String?
        @Option("global", .dict, help: "The global section: directive -> value (a list repeats the directive, a mapping prefixes its keys, true gives the bare keyword). `stats_socket: PATH` (or {path, mode, level, params}) declares the admin socket haproxy_server uses; `server_state_file: PATH` keeps servers' runtime states (drain, maint, weight) across reloads; `lines` are copied verbatim.") var global: Value?
        @Option("defaults", .dict, help: "The defaults section, written like global. When omitted: mode http, log global, option httplog/dontlognull/redispatch, retries 3, timeouts connect 5s, client 30s, server 30s, http-request 10s.") var defaults: Value?
        @Option("frontends", .list(.dict), help: "Frontends: name, binds (a list, or `bind` for one; each \":80\" or {address, ssl_certificates (alias crt: a PEM file or a directory of them), alpn, params}), mode, options, acls (name -> condition), rate_limit {requests, period=10s, table_size=100k, expire=period, status=429}, redirect_to_https (true = 301, or a status), http_request, security_headers (true, or {hsts_max_age, hsts_include_subdomains, hsts_preload, content_type_options, frame_options, referrer_policy}), http_response, acme_challenge {backend | server}, use_backends ({backend, if|unless}), default_backend, lines.") var frontends: [Value]?
        @Option("backends", .list(.dict), help: "Backends: name, mode, balance, options, health_check {path=/, method=GET, host, expect='status 200-399'}, default_server, http_request, http_response, servers ({name, address, check=true, inter, rise, fall, weight, maxconn, backup, disabled, params}), lines.") var backends: [Value]?
        @Option("validate", .string, default: "haproxy -c -f %s", help: "Command that checks the new file before it replaces the old one (%s is its path); an empty string skips the check.") var validate: String
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file being replaced.") var backup: Bool
        @Option("reload", .bool, default: true, help: "Reload a running HAProxy gracefully when the file changed (systemd reload, or USR2 to a master-worker, or -sf), and wait for the new process to serve.") var reload: Bool
        @Option("service", .string, default: "haproxy", help: "The systemd unit reloaded on systemd hosts.") var service: String
        @Option("pidfile", .path, default: "/run/haproxy.pid", help: "Where a HAProxy not run by systemd keeps its pid (its -p); used to find the process to reload.") var pidfile: String
        @Option("reload_timeout", .int, default: 30, help: "Seconds to wait for the new HAProxy process to serve after a reload.") var reload_timeout: Int
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public struct State: Equatable, Sendable {
        var current: RemotePath
        var desired: String
    }

    public enum Step: Sendable, Codable, Equatable, CustomStringConvertible {
        case content(ContentStep)
        case reload(HAProxyReload)

        public var description: String {
            switch self {
            case .content(let step): return step.description
            case .reload(let reload): return "reload HAProxy (\(reload.service)) for \(reload.configPath)"
            }
        }
    }

    public init() {}

    /// The file text the arguments describe.
    static func desiredText(_ a: Arguments) throws -> String {
        if let content = a.content { return content.hasSuffix("\n") || content.isEmpty ? content : content + "\n" }
        let config = try HAProxyConfigParser.parse(global: a.global, defaults: a.defaults, frontends: a.frontends ?? [], backends: a.backends ?? [])
        return HAProxyConfigRenderer.render(config)
    }

    /// The admin socket the file declares (`stats socket /path ...` in global), to confirm reloads through.
    static func statsSocket(in text: String) -> String? {
        firstPath(after: ["stats", "socket"], in: text)
    }

    /// Where the file keeps servers' states across reloads (`server-state-file /path`), saved before a reload.
    static func serverStateFile(in text: String) -> String? {
        firstPath(after: ["server-state-file"], in: text)
    }

    private static func firstPath(after keywords: [Substring], in text: String) -> String? {
        for line in text.split(separator: "\n") {
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.count > keywords.count, Array(words.prefix(keywords.count)) == keywords, words[keywords.count].hasPrefix("/") {
                return String(words[keywords.count])
            }
        }
        return nil
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let desired = try Self.desiredText(a)
        let current = try await RemotePath.observe(a.path, on: host, checksum: true, contentLimit: ContentConvergence.diffLimit)
        let wanted = hexString(SHA256.hash(data: Data(desired.utf8)))
        if current.sha256 != wanted, !a.validate.isEmpty {
            // Checked now as well as before the rename, so check mode already reports a file HAProxy would refuse.
            try await HAProxyValidation.check(desired, beside: a.path, command: a.validate, on: host)
        }
        return State(current: current, desired: desired)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let convergence = ContentConvergence(path: a.path, current: observed.current, desired: Data(observed.desired.utf8),
                                             attributes: FileAttributes(mode: a.mode, owner: a.owner, group: a.group),
                                             validate: a.validate.isEmpty ? nil : a.validate, backup: a.backup)
        let content = try convergence.plan(values: ["path": .string(a.path), "checksum": .string(convergence.desiredSHA256)])
        var steps = content.steps.map(Step.content)
        let rewrites = content.steps.contains { if case .write = $0 { return true }; return false }
        if rewrites && a.reload {
            steps.append(.reload(HAProxyReload(configPath: a.path, service: a.service, pidfile: a.pidfile,
                                               statsSocket: Self.statsSocket(in: observed.desired),
                                               serverStateFile: Self.serverStateFile(in: observed.desired), timeoutSeconds: a.reload_timeout)))
        }
        return Plan(steps: steps, diffs: content.diffs, values: content.values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        let contentSteps = plan.steps.compactMap { if case .content(let s) = $0 { return s }; return nil }
        var values = try await ContentConvergence.perform(contentSteps, on: host)
        values["reloaded"] = false
        for case .reload(let reload) in plan.steps {
            let result = try await host.runChecked(reload.script,
                                                   failure: "\(reload.configPath) was installed, but reloading HAProxy failed")
            let output = result.stdoutText.split(separator: "\n")
            let how = output.first { $0.hasPrefix("KEEL_RELOAD=") }.map { String($0.dropFirst(12)) } ?? "none"
            values["reload_method"] = .string(how)
            values["reloaded"] = .bool(how != "none")
            if let worker = output.first(where: { $0.hasPrefix("KEEL_WORKER=") }).flatMap({ Int($0.dropFirst(12)) }) {
                values["worker_pid"] = .int(worker)
            }
        }
        return .changed(values)
    }
}
