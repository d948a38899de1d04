import Foundation
import KeelBase
import KeelTransport
import OrderedCollections

/// `locale_gen`: locales are generated (or not) on Debian-style hosts (community.general.locale_gen):
/// enabled in /etc/locale.gen, compiled with locale-gen. `locale -a`, the supported list and
/// /etc/locale.gen are read in one round trip.
public struct LocaleGenModule: Module {
    public static let name = "locale_gen"
    public static let aliases = ["community.general.locale_gen"]
    public static let spec = ArgumentSpec(Arguments.self)
    public static let documentation = ModuleDocumentation(
        summary: "Generate locales",
        description: """
            A locale counts as present when `locale -a` lists it (en_US.UTF-8 matches en_US.utf8). Missing ones are \
            enabled in /etc/locale.gen (uncommenting their line, or adding the line from /usr/share/i18n/SUPPORTED) \
            and compiled with one `locale-gen` run; absent ones are commented out and locale-gen runs again. \
            A name that is not in the supported list fails before anything changes.
            """,
        examples: "- locale_gen:\n    name: [en_US.UTF-8, de_DE.UTF-8]\n- locale_gen: name=fr_FR.UTF-8 state=absent",
        deviations: ["Debian-style hosts only (/etc/locale.gen and locale-gen); Ubuntu's /var/lib/locales/supported.d is not used."])

    public struct Arguments: ModuleArguments {
        @Option("name", .list(.string), required: true, help: "Locales as /usr/share/i18n/SUPPORTED names them, e.g. en_US.UTF-8, de_DE.UTF-8.") var name: [String]
        @Option("state", choices: LocaleState.self, default: .present, help: "Whether the locales are available.") var state: LocaleState

        public init() {}
    }

    public enum LocaleState: String, OptionChoice { case present, absent }

    public struct State: Equatable, Sendable {
        var available: Set<String>
        var supported: [String: String]
        var localeGen: String
    }

    public enum Step: Sendable, Codable, Equatable { case write(String), generate }

    public init() {}

    /// `en_US.UTF-8` and `en_US.utf8` are the same locale.
    static func normalize(_ name: String) -> String {
        guard let dot = name.firstIndex(of: ".") else { return name }
        let codeset = name[name.index(after: dot)...].split(separator: "@", maxSplits: 1)
        let modifier = codeset.count > 1 ? "@" + codeset[1] : ""
        return name[..<dot] + "." + (codeset.first ?? "").lowercased().replacingOccurrences(of: "-", with: "") + modifier
    }

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        let names = a.name.map(ShellQuote.quote).joined(separator: " ")
        let script = """
            command -v locale-gen >/dev/null 2>&1 || { echo KEEL_NO_LOCALE_GEN; exit 0; }
            locale -a 2>/dev/null | sed 's/^/available=/'
            for n in \(names); do awk -v n="$n" '$1 == n { print "supported=" $0 }' /usr/share/i18n/SUPPORTED 2>/dev/null; done
            echo KEEL_LOCALE_GEN; cat /etc/locale.gen 2>/dev/null; true
            """
        let text = try await host.run(script).stdoutText
        if text.hasPrefix("KEEL_NO_LOCALE_GEN") {
            throw KeelError("\(host.name): locale_gen: locale-gen is missing", expected: "the locales package (Debian)", found: "no locale-gen")
        }
        let parts = text.components(separatedBy: "KEEL_LOCALE_GEN\n")
        let f = AccountDatabase.fields(parts[0])
        var supported: [String: String] = [:]
        for line in f["supported"] ?? [] { supported[String(line.split(separator: " ")[0])] = line }
        return State(available: Set((f["available"] ?? []).map(Self.normalize)), supported: supported, localeGen: parts.count > 1 ? parts[1] : "")
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        var lines = observed.localeGen.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        var changed: [String] = []
        for name in a.name {
            let present = observed.available.contains(Self.normalize(name))
            if a.state == .present && !present {
                guard let line = observed.supported[name] else {
                    throw KeelError("\(host.name): locale_gen: \(name) is not a supported locale", expected: "a name from /usr/share/i18n/SUPPORTED, e.g. en_US.UTF-8", found: name)
                }
                if let i = lines.firstIndex(where: { $0.trimmingCharacters(in: CharacterSet(charactersIn: "# ")) == line }) { lines[i] = line }
                else { lines.append(line) }
                changed.append(name)
            } else if a.state == .absent && present {
                for i in lines.indices where lines[i].split(separator: " ").first.map(String.init) == name { lines[i] = "# " + lines[i] }
                changed.append(name)
            }
        }
        let values: OrderedDictionary<String, Value> = ["name": .list(a.name.map(Value.string)), "state": .string(a.state.rawValue)]
        guard !changed.isEmpty else { return .unchanged(values: values) }
        let after = lines.joined(separator: "\n") + "\n"
        var steps: [Step] = []
        var diffs = [Diff(label: "locales", before: changed.map { "\($0): \(a.state == .present ? "absent" : "present")" }.joined(separator: "\n") + "\n",
                          after: changed.map { "\($0): \(a.state.rawValue)" }.joined(separator: "\n") + "\n")]
        if after != observed.localeGen {
            steps.append(.write(after))
            diffs.insert(Diff(label: "/etc/locale.gen", before: observed.localeGen, after: after), at: 0)
        }
        steps.append(.generate)
        return Plan(steps: steps, diffs: diffs, values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied {
        for step in plan.steps {
            switch step {
            case .write(let content):
                _ = try await FileWrite(destination: "/etc/locale.gen", content: Data(content.utf8), attributes: []).perform(on: host)
            case .generate:
                try await host.runChecked("locale-gen >/dev/null", failure: "locale-gen failed")
            }
        }
        return .changed()
    }
}
