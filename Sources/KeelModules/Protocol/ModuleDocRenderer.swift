import KeelBase

/// `keel doc MODULE` as text: built from the module's spec, so it always matches what is accepted.
public enum ModuleDocRenderer {
    public static func render(_ runner: ModuleRunner) -> String {
        render(Page(name: runner.name, aliases: runner.aliases, spec: runner.spec, documentation: runner.documentation,
                    supportsCheckMode: runner.supportsCheckMode, runsOnController: false))
    }

    public static func render(_ control: ControlRunner) -> String {
        render(Page(name: control.name, aliases: control.aliases, spec: control.spec, documentation: control.documentation,
                    supportsCheckMode: true, runsOnController: true))
    }

    struct Page {
        var name: String
        var aliases: [String]
        var spec: ArgumentSpec
        var documentation: ModuleDocumentation
        var supportsCheckMode: Bool
        var runsOnController: Bool
    }

    static func render(_ runner: Page) -> String {
        var out = "\(runner.name): \(runner.documentation.summary)\n"
        if !runner.aliases.isEmpty { out += "aliases: \(runner.aliases.joined(separator: ", "))\n" }
        if !runner.documentation.description.isEmpty { out += "\n" + wrap(runner.documentation.description, indent: "") + "\n" }
        out += "\nOPTIONS (= is required)\n"
        for option in runner.spec.options.sorted(by: { ($0.required ? 0 : 1, $0.name) < ($1.required ? 0 : 1, $1.name) }) {
            out += "\n\(option.required ? "=" : "-") \(option.name)  (\(option.type))\n"
            out += wrap(option.help, indent: "    ") + "\n"
            if let choices = option.choices { out += "    choices: \(choices.map(show).joined(separator: ", "))\n" }
            if let value = option.defaultValue { out += "    default: \(show(value))\n" }
            if !option.aliases.isEmpty { out += "    aliases: \(option.aliases.joined(separator: ", "))\n" }
        }
        if runner.spec.acceptsFreeForm { out += "\n- free-form text after the module name is the command line\n" }
        let groups = runner.spec.mutuallyExclusive.map { $0.joined(separator: " | ") }
        if !groups.isEmpty { out += "\nmutually exclusive: \(groups.joined(separator: "; "))\n" }
        out += "\ncheck mode: \(runner.supportsCheckMode ? "supported" : "skipped")\n"
        if runner.runsOnController { out += "runs on: the controller (steers the run; changes nothing on hosts)\n" }
        if !runner.documentation.examples.isEmpty { out += "\nEXAMPLES\n\n" + runner.documentation.examples + "\n" }
        if !runner.documentation.deviations.isEmpty {
            out += "\nDIFFERENCES FROM ANSIBLE\n" + runner.documentation.deviations.map { "\n" + wrap("- " + $0, indent: "  ") }.joined() + "\n"
        }
        return out
    }

    static func show(_ value: Value) -> String {
        // Strings with control characters (template's newline_sequence "\r\n") are shown quoted and escaped.
        if case .string(let s) = value, !s.unicodeScalars.contains(where: { $0.value < 0x20 }) { return s }
        return value.jsonString()
    }

    static func wrap(_ text: String, indent: String, width: Int = 100) -> String {
        var lines: [String] = []
        var line = indent
        for word in text.split(separator: " ") {
            if line.count + word.count + 1 > width, line.trimmingCharacters(in: .whitespaces).count > 0 {
                lines.append(line)
                line = indent
            }
            line += (line == indent ? "" : " ") + word
        }
        lines.append(line)
        return lines.joined(separator: "\n")
    }
}
