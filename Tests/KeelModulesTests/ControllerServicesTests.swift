import Foundation
import KeelBase
import KeelTransport
import Testing
@testable import KeelModules

/// The services the controller hands modules: HTTP against a real local server, the run's shared state,
/// the controller's state directory and the per-host fact cache.
@Suite("Controller services", .serialized) struct ControllerServicesTests {
    /// `python3 -m http.server` on 127.0.0.1 serving `directory`, on a free port; stopped by `stop()`.
    final class LocalHTTPServer {
        let process = Process()
        let port: Int

        init(serving directory: String) throws {
            port = Int.random(in: 20000...40000)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", directory]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
        }

        var url: URL { URL(string: "http://127.0.0.1:\(port)/")! }

        /// Waits until the server answers (it takes a moment to bind).
        func ready(_ client: HTTPClient) async throws {
            for _ in 0..<50 {
                if (try? await client.get(url, timeout: 1)) != nil { return }
                try await Task.sleep(for: .milliseconds(100))
            }
            throw KeelError("the local HTTP server did not start")
        }

        /// SIGKILL: a child of the test runner may inherit a blocked SIGTERM and never exit.
        func stop() { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
    }

    static func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "keel-services-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func theHTTPClientGetsBodiesStatusesAndHeaders() async throws {
        let directory = try Self.temporaryDirectory()
        try "directory listing\n".write(toFile: directory + "/directory.json", atomically: true, encoding: .utf8)
        let server = try LocalHTTPServer(serving: directory)
        defer { server.stop() }
        let client = HTTPClient()
        try await server.ready(client)
        let found = try await client.get(server.url.appendingPathComponent("directory.json"))
        #expect(found.status == 200)
        #expect(found.text == "directory listing\n")
        #expect(found.headers["content-length"] == "18")
        let missing = try await client.get(server.url.appendingPathComponent("nothing-here"))
        #expect(missing.status == 404)
    }

    @Test func aServerThatNeverAnswersIsATimeoutNamingTheURL() async throws {
        // A listening socket that accepts but never answers.
        let listener = Process()
        let port = Int.random(in: 40001...50000)
        listener.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        listener.arguments = ["python3", "-c", "import socket,time\ns=socket.socket();s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1);s.bind(('127.0.0.1',\(port)));s.listen(5)\nc=[]\nwhile True:\n c.append(s.accept())"]
        try listener.run()
        defer { kill(listener.processIdentifier, SIGKILL); listener.waitUntilExit() }
        try await Task.sleep(for: .milliseconds(500))
        let started = Date()
        await #expect { try await HTTPClient().get(URL(string: "http://127.0.0.1:\(port)/slow")!, timeout: 1) } throws: {
            "\($0)".contains("http://127.0.0.1:\(port)/slow") && "\($0)".contains("within 1 s")
        }
        #expect(Date().timeIntervalSince(started) < 60, "the 1 s timeout ended a request that never gets an answer")
    }

    @Test func runStateIsSharedByNamespaceAndUpdatedAtomically() async throws {
        let services = ControllerServices(state: RunStateStore(stateDirectory: try Self.temporaryDirectory()))
        let copy = services   // what each host's context holds: the same store
        await services.state.set("acme", "account", to: "https://ca/acct/1")
        #expect(await copy.state.value("acme", "account") == "https://ca/acct/1")
        #expect(await copy.state.value("other", "account") == nil)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask { await copy.state.update("limits", "orders") { value in value = .int((value?.intValue ?? 0) + 1) } }
            }
        }
        #expect(await services.state.value("limits", "orders") == 50)
    }

    @Test func theStateDirectoryComesFromTheEnvironmentAndIsMadePrivate() throws {
        #expect(RunStateStore.defaultStateDirectory(["KEEL_STATE_DIR": "/srv/keel-state", "HOME": "/home/a"]) == "/srv/keel-state")
        #expect(RunStateStore.defaultStateDirectory(["HOME": "/home/a"]) == "/home/a/.local/state/keel")
        #expect(RunStateStore.defaultStateDirectory(["HOME": "/home/a", "XDG_STATE_HOME": "/x/state"]) == "/x/state/keel")
        let root = try Self.temporaryDirectory()
        let store = RunStateStore(stateDirectory: root)
        let directory = try store.directory(for: "acme")
        #expect(directory == root + "/acme")
        let mode = try FileManager.default.attributesOfItem(atPath: directory)[.posixPermissions] as? Int
        #expect(mode == 0o700)
        #expect(throws: KeelError.self) { try store.directory(for: "../etc") }
    }

    @Test func aFactIsObservedOncePerHostUntilAnApplyChangesTheHost() async throws {
        let directory = try Self.temporaryDirectory()
        let counter = directory + "/observed"
        let services = ControllerServices()
        var host = HostContext(name: "local", connection: LocalConnection())
        host.services = services
        let fact = Fact<Int>("ObservationCount", command: "echo x >> \(counter); wc -l < \(counter)") { Int($0.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1 }
        #expect(try await host.fact(fact) == 1)
        #expect(try await host.fact(fact) == 1)   // a second task asking: from the cache
        // Any apply on the host forgets what was observed.
        _ = try await ModuleRunner(ShellModule.self).run(["_raw_params": "true"], at: nil, on: host, mode: .apply)
        #expect(try await host.fact(fact) == 2)
        // Another become user reads its own copy.
        var asRoot = host
        asRoot.become = Become(user: "root")
        let cache = await services.facts.cache(for: host.connection.hostName, become: asRoot.become)
        #expect(await cache.observations == 0)
    }

    @Test func controllerFilesAreReadInOnePlaceWithAClearError() throws {
        let directory = try Self.temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/files", withIntermediateDirectories: true)
        try "motd\n".write(toFile: directory + "/files/motd", atomically: true, encoding: .utf8)
        let files = ControllerFiles(searchPaths: [directory])
        let found = try files.read("motd", kind: "files")
        #expect(found.path == directory + "/files/motd")
        #expect(found.data == Data("motd\n".utf8))
        #expect { try files.read("nope", kind: "files") } throws: {
            let error = $0 as? KeelError
            return error?.message == "could not find src 'nope'" && error?.expected?.contains(directory + "/files") == true
        }
    }
}
