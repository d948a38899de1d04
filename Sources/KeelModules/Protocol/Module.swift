import Foundation
import KeelBase
import KeelTemplate
import KeelTransport
import OrderedCollections

/// A task module: observe the host, plan the difference, apply exactly the plan (Terraform's
/// read/plan/apply, mgmt's CheckApply). Check mode is the same path stopped before `apply`, and the
/// engine, not the module, decides whether to stop, so a prediction and a real run cannot disagree.
public protocol Module: Sendable {
    /// The typed arguments, decoded after `spec` validated and coerced them.
    associatedtype Arguments: Decodable & Sendable
    /// What the host has, as far as this module cares.
    associatedtype State: Equatable & Sendable
    /// One change the module will make, carrying all the data it needs; a plan is a list of these.
    associatedtype Step: Sendable & Codable & Equatable

    /// "file"; FQCNs (ansible.builtin.file) and `aliases` map here.
    static var name: String { get }
    static var aliases: [String] { get }
    static var spec: ArgumentSpec { get }
    static var documentation: ModuleDocumentation { get }
    /// False for modules whose effect cannot be predicted (command, shell): check mode skips them.
    static var supportsCheckMode: Bool { get }
    /// False for modules that act on the controller only (an HTTP call to a CA): the engine then need not
    /// connect to the host, and `host.connection` must not be used.
    static var needsConnection: Bool { get }
    /// True (the default) when `observe` only reads the host as it is now, so the engine may take the
    /// observation ahead, in one batch with the next tasks' (over the same round trip). False for modules
    /// whose observation waits for something to happen (wait_for) or must be taken at the task's moment.
    static var observesInBatch: Bool { get }
    /// True when the engine may rehearse this module's change on the controller and send it ahead of its
    /// turn (ChainedChange, a first run in a few round trips): the commands its apply sends depend only on
    /// the plan (no answer of the host feeds a later command), and a command that answers status 0 never
    /// fails the task. The change then runs only where the one-by-one run would send the same script.
    static var runsAhead: Bool { get }

    init()

    func observe(_ arguments: Arguments, on host: HostContext) async throws -> State
    func plan(_ arguments: Arguments, observed: State, on host: HostContext) throws -> Plan<Step>
    /// Carries out exactly `plan` (its steps hold everything needed: no arguments are passed) and says
    /// whether the host changed, with the values for `register`. A failure that has results to keep
    /// (rc, stdout, stderr) is thrown as `ModuleFailure`.
    func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied
}

/// A module whose tasks make the host use ports (listen on them, or open them in the firewall). Only
/// these modules' arguments are rendered ahead of a run for port-conflict detection.
public protocol PortClaiming {
    /// The ports a task with these (rendered) arguments makes the host use.
    static func portClaims(_ arguments: OrderedDictionary<String, Value>) -> [PortClaim]
}

extension Module {
    public static var aliases: [String] { [] }
    public static var supportsCheckMode: Bool { true }
    public static var needsConnection: Bool { true }
    public static var observesInBatch: Bool { true }
    public static var runsAhead: Bool { false }
}

/// What the engine hands a module for one host: the connection and what the module may read about the
/// run, never the engine itself.
public struct HostContext: Sendable {
    /// The inventory hostname.
    public var name: String
    public var connection: any Connection
    public var become: Become?
    /// `ansible_facts` as gathered (or empty).
    public var facts: Value
    /// Finds controller-side files for `src:` (role files/ and templates/, the playbook's directory).
    public var files: ControllerFiles
    /// Renders a template's text with the task's variables (the template module uses it).
    public var renderTemplate: @Sendable (_ source: String, _ path: String) throws -> String
    /// Renders a template file (the template module) with its own Jinja2 settings and extra variables
    /// layered over the task's. The default, used outside the engine, sees only the extra variables.
    public var renderTemplateFile: @Sendable (TemplateFileRequest) throws -> String = { request in
        try TemplateEngine(options: request.options).render(request.source, context: DictionaryContext(request.variables),
                                                            origin: SourceLocation(file: request.path, line: 1, column: 1),
                                                            options: request.options, loader: request.loader)
    }
    /// The task's `environment:` keyword: exported for every command the module runs.
    public var environment: [String: String] = [:]
    /// The run's controller services (HTTP, shared state, fact caches); the engine passes one per run.
    public var services: ControllerServices
    /// Set by `keel apply`: called with the digest of the plan just made, before anything is applied;
    /// throws when the plan differs from the one that was reviewed, so nothing of it is applied.
    public var approvePlan: (@Sendable (String) throws -> Void)?
    /// Whether the run records plan digests (`--plan-out`, `keel apply`): a digest encodes the whole plan,
    /// so a run that keeps none does not pay for it.
    public var recordsPlanDigest = false

    public init(name: String, connection: any Connection, become: Become? = nil, facts: Value = .dict([:]),
                files: ControllerFiles = ControllerFiles(searchPaths: []),
                renderTemplate: @escaping @Sendable (String, String) throws -> String = { source, _ in source },
                services: ControllerServices? = nil) {
        // Made only when none is given: a new one reads the environment, and the engine gives the run's.
        self.services = services ?? ControllerServices()
        self.name = name
        self.connection = connection
        self.become = become
        self.facts = facts
        self.files = files
        self.renderTemplate = renderTemplate
    }

    /// Runs a script on the host with the task's become settings and environment.
    public func run(_ script: String, stdin: Data? = nil) async throws -> CommandResult {
        guard !environment.isEmpty else { return try await connection.run(script, stdin: stdin, become: become) }
        let exports = environment.sorted { $0.key < $1.key }.map { "export \($0.key)=\(ShellQuote.quote($0.value))" }
        return try await connection.run(exports.joined(separator: "\n") + "\n" + script, stdin: stdin, become: become)
    }
}

/// A template file to render: its text, where it came from (for error locations), the Jinja2 settings
/// and the variables the template module adds (template_path, ansible_managed, ...).
public struct TemplateFileRequest: Sendable {
    public var source: String
    public var path: String
    public var options: TemplateOptions
    public var variables: OrderedDictionary<String, Value>
    /// Finds the templates that `include`, `import` and `extends` name.
    public var loader: (any TemplateLoader)?

    public init(source: String, path: String, options: TemplateOptions, variables: OrderedDictionary<String, Value> = [:],
                loader: (any TemplateLoader)? = nil) {
        self.source = source
        self.path = path
        self.options = options
        self.variables = variables
        self.loader = loader
    }
}

/// Where `src:` paths are looked up on the controller, in order (Ansible's search path: the role's
/// files/ or templates/, the role, the playbook's directory).
public struct ControllerFiles: Sendable {
    public var searchPaths: [String]

    public init(searchPaths: [String]) { self.searchPaths = searchPaths }

    /// An absolute path as is; a relative one in each search path's `kind` folder (files/, templates/),
    /// then in the search path itself, as Ansible looks them up.
    public func find(_ path: String, kind: String) -> String? {
        if path.hasPrefix("/") { return FileManager.default.fileExists(atPath: path) ? path : nil }
        for base in searchPaths {
            for candidate in ["\(base)/\(kind)/\(path)", "\(base)/\(path)"] where FileManager.default.fileExists(atPath: candidate) {
                return candidate
            }
        }
        if searchPaths.isEmpty, FileManager.default.fileExists(atPath: path) { return path }
        return nil
    }
}
