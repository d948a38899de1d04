import Foundation
import KeelBase
import OrderedCollections

/// template: each controller template (found in templates/ through the search path) rendered with the
/// task's variables, `template_vars` and the variables ansible-core adds (template_host, template_path,
/// template_uid, template_destpath, template_fullpath, ansible_managed unless the task has one; not the
/// datetime-valued template_mtime and template_run_date).
enum TemplateLookup {
    static let all: [String: LookupBody] = [
        "template": { terms, options, environment in try template(terms, options, environment) },
    ]

    static func template(_ terms: [Value], _ given: OrderedDictionary<String, Value>, _ environment: LookupEnvironment) throws -> [Value] {
        let options = try LookupOptions("template", defaults: [
            "convert_data": true, "template_vars": [:], "jinja2_native": false, "trim_blocks": true, "lstrip_blocks": false,
            "variable_start_string": "{{", "variable_end_string": "}}", "comment_start_string": "{#", "comment_end_string": "#}",
        ], given: given)
        for (key, standard) in ["variable_start_string": "{{", "variable_end_string": "}}", "comment_start_string": "{#", "comment_end_string": "#}"]
        where options.string(key) != standard {
            throw KeelError("lookup 'template': Keel supports only the standard delimiters", expected: "\(key)='\(standard)'", found: options.string(key) ?? "")
        }
        guard case .dict(let templateVars) = options["template_vars"] else {
            throw KeelError("lookup 'template': template_vars must be a mapping", found: options["template_vars"].typeName)
        }
        var rendering = TemplateOptions.ansibleTemplateFile
        rendering.trimBlocks = try options.bool("trim_blocks")
        rendering.lstripBlocks = try options.bool("lstrip_blocks")
        return try terms.map { term in
            let name = try term.lookupTerm("template")
            guard let path = try environment.find(name, in: "templates") else {
                throw KeelError("the template file \(name) could not be found for the lookup",
                                expected: "one of " + (try SearchPath.candidates(name, in: "templates", paths: environment.searchPath(), base: environment.baseDirectory())).joined(separator: ", "))
            }
            let owner = TemplateFileOwner.name(of: path)
            var extra: OrderedDictionary<String, Value> = [
                "template_host": .string(nodeName), "template_path": .string(name), "template_uid": .string(owner),
                "template_destpath": .null, "template_fullpath": .string(path),
            ]
            if try environment.variable("ansible_managed") == nil { extra["ansible_managed"] = "Ansible managed" }
            for (k, v) in templateVars { extra[k] = v }
            var fileOptions = rendering
            let source = try TemplateOverrides.apply(to: try FileLookups.read(path, for: "template"), options: &fileOptions, file: path)
            return try environment.render(source, file: path, extra: extra, options: fileOptions)
        }
    }

    /// The controller's node name, as Python's os.uname()[1] gives it (no DNS lookup).
    static var nodeName: String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
