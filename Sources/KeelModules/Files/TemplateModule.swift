import Foundation
import KeelBase
import KeelVault
import KeelTemplate
import KeelTransport
import OrderedCollections

/// `template`: render a Jinja2 file from the controller (the role's templates/, then the playbook's
/// directory) with the task's variables, and converge a file on the host to the result, exactly as
/// `copy` converges to inline content (same comparison, atomic write, validate, backup).
public struct TemplateModule: Module {
    public static let name = "template"
    /// Its apply is one command built from the plan alone, failing only by its status (Module.runsAhead).
    public static let runsAhead = true
    public static let spec = ArgumentSpec(Arguments.self).readingControllerFile(ControllerSource(option: "src", kind: "templates")).acceptingSecurityContextOptions()
    public static let documentation = ModuleDocumentation(
        summary: "Render a Jinja2 template from the controller onto the host",
        description: """
            Renders src with the task's variables (host and group vars, facts, loop items, registered results) \
            using Keel's Jinja2 engine with Ansible's settings for template files, plus the variables Ansible adds: \
            ansible_managed, template_path, template_fullpath, template_host, template_uid, template_destpath. \
            The result is compared with the host's file by SHA-256 in one round trip and written atomically \
            (temporary file + rename) after `validate` passed, keeping the old file's owner and mode unless told otherwise.
            """,
        examples: """
            - name: HAProxy configuration
              template:
                src: haproxy.cfg.j2
                dest: /etc/haproxy/haproxy.cfg
                mode: "0644"
                validate: haproxy -c -f %s
                backup: true
            - template: src=motd.j2 dest=/etc/motd lstrip_blocks=yes
            """,
        deviations: [
            SecurityContextOptions.deviation,
            "A vault-encrypted file named by `{% include %}`, `{% import %}` or `{% extends %}` is decrypted; Ansible's Jinja2 loader reads it as it is stored.",
            "block_start_string, variable_start_string and the other delimiter options are not supported (an error names them).",
            "newline_sequence is applied to the whole result, including newlines that came from variables (Jinja2 converts only the template's own text).",
            "ansible_managed is the plain text \"Ansible managed\" (Ansible's default), not configurable through ansible.cfg.",
            "The `checksum` return value is SHA-256, not SHA-1.",
            "follow, unsafe_writes, attributes and SELinux options are not supported.",
        ])

    public struct Arguments: ModuleArguments {
        @Option("src", .path, required: true, help: "The template on the controller: relative paths are looked up in the role's templates/, the role, then the playbook's directory.") var src: String
        @Option("dest", .path, required: true, help: "Where the rendered file goes; an existing directory (or a path ending in /) receives src's file name.") var dest: String
        @Option("force", .bool, default: true, help: "Replace a file whose content differs; false only creates missing files.") var force: Bool
        @Option("backup", .bool, default: false, help: "Keep a timestamped copy of the file being replaced.") var backup: Bool
        @Option("validate", .string, help: "Command run on the new file before it replaces the old one; %s is its path.") var validate: String?
        @Option("newline_sequence", .string, default: "\n", choices: ["\n", "\r", "\r\n", "\\n", "\\r", "\\r\\n"], help: "Line ending written for every line of the result; the escaped spellings ('\\r\\n' in single quotes) mean the same.") var newline_sequence: String
        @Option("trim_blocks", .bool, default: true, help: "Drop the first newline after a block tag ({% ... %}).") var trim_blocks: Bool
        @Option("lstrip_blocks", .bool, default: false, help: "Strip spaces and tabs before a block tag at the start of a line.") var lstrip_blocks: Bool
        @Option("output_encoding", .string, default: "utf-8", choices: ["utf-8", "utf8"], help: "Encoding of the written file (only UTF-8).") var output_encoding: String
        @Option(FileAttributes.mode) var mode: Value?
        @Option(FileAttributes.owner) var owner: String?
        @Option(FileAttributes.group) var group: String?

        public init() {}
    }

    public struct State: Equatable, Sendable {
        var path: String
        var current: RemotePath
        var rendered: Data
        /// The template file on the controller, for mode: preserve.
        var source: String
    }

    public typealias Step = ContentStep

    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        guard let source = host.files.find(a.src, kind: "templates") else {
            throw KeelError("could not find template '\(a.src)'",
                            expected: "a file in " + (host.files.searchPaths.map { $0 + "/templates" } + ["the playbook's directory"]).joined(separator: ", "),
                            found: "nothing")
        }
        let fullPath = URL(fileURLWithPath: source).standardizedFileURL.path
        guard let stored = FileManager.default.contents(atPath: fullPath) else { throw KeelError("cannot read template \(fullPath)") }
        let data = try VaultedFile.plaintext(stored, path: fullPath)
        guard let text = String(data: data, encoding: .utf8) else { throw KeelError("template \(fullPath) is not UTF-8 text") }
        let sourceName = (a.src as NSString).lastPathComponent
        let destination = try await ContentDestination.observe(dest: a.dest, sourceName: sourceName, on: host)
        let rendered = try render(text, path: fullPath, dest: destination.path, a, on: host)
        return State(path: destination.path, current: destination.current, rendered: Data(rendered.utf8), source: fullPath)
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var convergence = ContentConvergence(path: observed.path, current: observed.current, desired: observed.rendered,
                                             attributes: FileAttributes(mode: FileAttributes.resolvingPreserve(a.mode, sourcePath: observed.source),
                                                                        owner: a.owner, group: a.group),
                                             validate: a.validate, backup: a.backup)
        convergence.replaceExisting = a.force
        let values: OrderedDictionary<String, Value> = ["dest": .string(observed.path), "src": .string(a.src),
                                                        "checksum": .string(convergence.desiredSHA256), "size": .int(observed.rendered.count)]
        return try convergence.plan(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        try await ContentConvergence.apply(plan, on: host)
    }

    /// The template's text rendered with the template-file settings and Ansible's template variables.
    func render(_ text: String, path: String, dest: String, _ a: Arguments, on host: HostContext) throws -> String {
        var options = TemplateOptions.ansibleTemplateFile
        options.trimBlocks = a.trim_blocks
        options.lstripBlocks = a.lstrip_blocks
        let owner = TemplateFileOwner.name(of: path)
        let variables: OrderedDictionary<String, Value> = [
            "ansible_managed": "Ansible managed",
            "template_host": .string(Self.controllerHostName),
            "template_path": .string(path),
            "template_fullpath": .string(path),
            "template_uid": .string(owner),
            "template_destpath": .string(dest),
        ]
        // Jinja2 reads template files with universal newlines; a first `#jinja2:` line overrides the settings.
        let source = try TemplateOverrides.apply(to: Self.replacingNewlines(in: text, with: "\n"), options: &options, file: path)
        let loader = FileSystemTemplateLoader(searchPaths: Self.includeSearchPath(host.files.searchPaths, templatePath: path),
                                              decode: { data, file in try VaultedFile.plaintext(data, path: file) })
        let rendered = try host.renderTemplateFile(TemplateFileRequest(source: source, path: path, options: options, variables: variables,
                                                                       loader: loader))
        // YAML's single quotes leave '\r\n' escaped; Ansible accepts that spelling too.
        let sequence = a.newline_sequence.replacingOccurrences(of: "\\r", with: "\r").replacingOccurrences(of: "\\n", with: "\n")
        guard sequence != "\n" else { return rendered }
        return Self.replacingNewlines(in: rendered, with: sequence)
    }

    /// Where `include`, `import` and `extends` look, as Ansible's template action sets Jinja2's search path:
    /// the task's search path (the role, the playbook's directory) and the template's own directory, each
    /// as its templates/ folder first, then itself. Names are relative to these, never to the including file.
    static func includeSearchPath(_ searchPaths: [String], templatePath: String) -> [String] {
        let directory = (templatePath as NSString).deletingLastPathComponent
        var paths: [String] = []
        for base in searchPaths + [directory] {
            for candidate in [base + "/templates", base] where !paths.contains(candidate) { paths.append(candidate) }
        }
        return paths
    }

    /// The controller's node name, as Python's platform.node() gives it (no DNS lookup, unlike ProcessInfo.hostName).
    static var controllerHostName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Every line ending (\r\n, \r or \n) as `sequence`. Works on scalars: to Swift "\r\n" is one Character.
    static func replacingNewlines(in text: String, with sequence: String) -> String {
        // Most templates are written with \n alone: nothing to replace, and no copy scalar by scalar.
        if sequence == "\n", !text.utf8.contains(UInt8(ascii: "\r")) { return text }
        var out = String.UnicodeScalarView()
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" && previousWasCR { previousWasCR = false; continue }
            previousWasCR = scalar == "\r"
            if scalar == "\r" || scalar == "\n" { out.append(contentsOf: sequence.unicodeScalars) } else { out.append(scalar) }
        }
        return String(out)
    }
}
