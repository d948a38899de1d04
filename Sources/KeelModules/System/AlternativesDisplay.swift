import Foundation

/// What `update-alternatives --display NAME` (LC_ALL=C) says about one alternative group: its mode, the
/// path the link points to, the link itself, and each alternative with its priority, family and
/// followers (slaves). Read the way community.general.alternatives reads it.
struct AlternativesDisplay: Equatable, Sendable {
    struct Follower: Equatable, Sendable, Codable { var name: String; var path: String; var link: String? }
    struct Alternative: Equatable, Sendable { var priority: Int; var family: String; var followers: [Follower] }

    var mode: String?
    var currentPath: String?
    var currentLink: String?
    var alternatives: [String: Alternative] = [:]

    private static func regex(_ pattern: String) -> NSRegularExpression {
        try! NSRegularExpression(pattern: pattern, options: [.anchorsMatchLines, .useUnixLineSeparators])
    }
    private static let modePattern = regex(#"\s-\s(?:status\sis\s)?(\w*)(?:\smode|.)$"#)
    private static let pathPattern = regex(#"^\s*link currently points to (.*)$"#)
    private static let linkPattern = regex(#"^\s*link (\S+) is (.*)$"#)
    private static let followerLinkPattern = regex(#"^\s*(?:slave|follower) (\S+) is (.*)$"#)
    private static let alternativePattern = regex(#"^(/.*)\s-\s(?:family\s(\S+)\s)?priority\s(\d+)((?:\s+(?:slave|follower).*)*)"#)
    private static let followerPattern = regex(#"^\s+(?:slave|follower) (.*): (.*)$"#)

    private static func groups(_ regex: NSRegularExpression, in text: String) -> [[String]] {
        let ns = text as NSString
        return regex.matches(in: text, range: NSRange(location: 0, length: ns.length)).map { match in
            (1..<match.numberOfRanges).map { index in
                let range = match.range(at: index)
                return range.location == NSNotFound ? "" : ns.substring(with: range)
            }
        }
    }

    /// Nil output (the group does not exist) gives an empty display.
    static func parse(_ text: String?, declaredFollowers: [Follower]?) -> AlternativesDisplay {
        var display = AlternativesDisplay()
        guard let text, let mode = groups(modePattern, in: text).first else { return display }
        display.mode = mode[0]
        display.currentPath = groups(pathPattern, in: text).first?[0]
        display.currentLink = groups(linkPattern, in: text).first?[1]
        var followerLinks: [String: String] = [:]
        for pair in groups(followerLinkPattern, in: text) { followerLinks[pair[0]] = pair[1] }
        if followerLinks.isEmpty, let declared = declaredFollowers { for f in declared { followerLinks[f.name] = f.link } }
        for entry in groups(alternativePattern, in: text) {
            let followers = groups(followerPattern, in: entry[3]).filter { $0[1] != "(null)" }
                .map { Follower(name: $0[0], path: $0[1], link: followerLinks[$0[0]]) }
            display.alternatives[entry[0]] = Alternative(priority: Int(entry[2]) ?? 0, family: entry[1], followers: followers)
        }
        return display
    }
}
