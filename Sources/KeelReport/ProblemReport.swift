import Foundation
import KeelBase
import OrderedCollections

/// Problems found without touching a host (`keel check`), written for people, for GitHub's pull-request
/// annotations, or as SARIF 2.1.0, the format code-scanning tools (GitHub code scanning, GitLab, Sonar)
/// import. Locations are made relative to `root` so annotations land on the repository's files.
public struct ProblemReport: Sendable {
    public var problems: [KeelError]
    /// Findings that do not fail the check (a port opened in the firewall that nothing listens on).
    public var warnings: [KeelError]
    public var checkedFiles: [String]
    public var root: String
    /// The problems (among `problems`) that are variables certainly undefined: their own SARIF rule, so
    /// code scanning can show and filter them apart.
    public var undefinedVariables: [KeelError]

    public init(problems: [KeelError], warnings: [KeelError] = [], checkedFiles: [String], root: String = FileManager.default.currentDirectoryPath,
                undefinedVariables: [KeelError] = []) {
        self.problems = problems
        self.warnings = warnings
        self.undefinedVariables = undefinedVariables
        self.checkedFiles = checkedFiles
        self.root = root
    }

    public func text() -> String {
        let files = "\(checkedFiles.count) playbook\(checkedFiles.count == 1 ? "" : "s")"
        let warned = warnings.map { warning in
            let location = relocated(warning).location.map { "\($0): " } ?? ""
            return location + "warning: " + detail(warning) + "\n"
        }.joined()
        guard !problems.isEmpty else { return warned + "checked \(files): no problems found\n" }
        return problems.map { relocated($0).description + "\n" }.joined() + warned
            + "\(problems.count) problem\(problems.count == 1 ? "" : "s") found in \(files); no host was contacted\n"
    }

    public func github() -> String {
        problems.map { problem in
            GitHubReporter.annotation("error", relocated(problem).location, title: "keel check", message: detail(problem))
        }.joined() + warnings.map { warning in
            GitHubReporter.annotation("warning", relocated(warning).location, title: "keel check", message: detail(warning))
        }.joined()
    }

    public func sarif(toolVersion: String) -> String {
        let results: [Value] = (problems.map { ($0, "error") } + warnings.map { ($0, "warning") }).map { problem, level in
            let rule = undefinedVariables.contains(problem) ? "keel/undefined-variable" : "keel/load"
            var result: OrderedDictionary<String, Value> = ["ruleId": .string(rule), "level": .string(level),
                                                             "message": ["text": .string(detail(problem))]]
            if let location = relocated(problem).location {
                result["locations"] = [[
                    "physicalLocation": [
                        "artifactLocation": ["uri": .string(location.file), "uriBaseId": "%SRCROOT%"],
                        "region": ["startLine": .int(max(location.line, 1)), "startColumn": .int(max(location.column, 1))],
                    ],
                ]]
            }
            return .dict(result)
        }
        let rule: Value = ["id": "keel/load", "name": "PlaybookLoad",
                           "shortDescription": ["text": "A playbook, role, inventory or task argument Keel cannot load or run"],
                           "defaultConfiguration": ["level": "error"]]
        let undefined: Value = ["id": "keel/undefined-variable", "name": "UndefinedVariable",
                                "shortDescription": ["text": "A variable a template reads that nothing could define"],
                                "defaultConfiguration": ["level": "error"]]
        let driver: Value = ["name": "keel", "version": .string(toolVersion), "rules": [rule, undefined]]
        let log: Value = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [["tool": ["driver": driver],
                      "originalUriBaseIds": ["%SRCROOT%": ["uri": .string(URL(fileURLWithPath: root, isDirectory: true).absoluteString)]],
                      "results": .list(results)]],
        ]
        return log.prettyJSON(indent: 2, sortedKeys: false) + "\n"
    }

    /// The message with its expected/found/suggestion lines, without the location (the formats carry it).
    private func detail(_ problem: KeelError) -> String {
        var copy = problem
        copy.location = nil
        let text = copy.description
        return text.hasPrefix("error: ") ? String(text.dropFirst("error: ".count)) : text
    }

    private func relocated(_ problem: KeelError) -> KeelError {
        guard var location = problem.location else { return problem }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        if location.file.hasPrefix(prefix) { location.file = String(location.file.dropFirst(prefix.count)) }
        var copy = problem
        copy.location = location
        return copy
    }
}
