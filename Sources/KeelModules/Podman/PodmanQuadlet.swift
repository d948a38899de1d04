import Foundation
import KeelBase
import KeelTransport

/// A quadlet file (`NAME.container`, `NAME.pod`): INI sections of `Key=value` lines that podman's systemd
/// generator (podman 4.4 and later) turns into a service. Rendered in the layout containers.podman's
/// `state: quadlet` writes, so a file written by either tool is the same file to the other.
struct PodmanQuadlet: Sendable, Equatable, Codable {
    struct Section: Sendable, Equatable, Codable {
        var name: String
        var entries: [Entry]
    }

    struct Entry: Sendable, Equatable, Codable {
        var key: String
        var value: String
    }

    var header: String
    var sections: [Section]
    /// `quadlet_options`: lines appended as given (`[Install]`, `WantedBy=default.target`).
    var extraLines: [String] = []

    /// The file's text; sections are separated by nothing, as containers.podman writes them.
    var content: String {
        var lines = [header]
        for section in sections {
            lines.append("[\(section.name)]")
            lines += section.entries.map { "\($0.key)=\($0.value)" }
        }
        lines += extraLines
        return lines.joined(separator: "\n") + "\n"
    }

    /// The text without comment lines: what decides whether the file on the host is this file (containers.podman
    /// compares the same way, so a header or comment never makes a difference).
    static func withoutComments(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.hasPrefix("#") }
            .joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Python's `shlex.quote`, which containers.podman applies to Environment= and Label= values: quadlet
    /// splits those lines like a shell, so a value with a space must be quoted.
    static func shellQuoted(_ text: String) -> String {
        if text.isEmpty { return "''" }
        let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_")
        if text.unicodeScalars.allSatisfy({ safe.contains($0) }) { return text }
        return "'" + text.replacingOccurrences(of: "'", with: "'\"'\"'") + "'"
    }

    /// `podman version 4.3.1` (podman --version) -> (4, 3); nil when the text is not podman's.
    static func version(_ text: String) -> (major: Int, minor: Int)? {
        guard let word = text.split(whereSeparator: { $0.isWhitespace }).last else { return nil }
        let parts = word.split(separator: ".").map { Int($0.prefix { $0.isNumber }) }
        guard parts.count >= 2, let major = parts[0], let minor = parts[1] else { return nil }
        return (major, minor)
    }

    /// Quadlet (the systemd generator for .container files) came with podman 4.4.
    static func supported(major: Int, minor: Int) -> Bool { major > 4 || (major == 4 && minor >= 4) }

    /// Where quadlet files go: the system's directory for root, the user's for a rootless podman.
    static func defaultDirectory(uid: Int?, home: String) -> String {
        (uid ?? 0) == 0 ? "/etc/containers/systemd" : "\(home)/.config/containers/systemd"
    }

    /// `quadlet_filename` (the suffix added when missing, as containers.podman does) or NAME.KIND.
    static func fileName(_ given: String?, name: String, kind: String) -> String {
        guard let given, !given.isEmpty else { return "\(name).\(kind)" }
        return given.hasSuffix(".\(kind)") ? given : "\(given).\(kind)"
    }
}

/// A quadlet file as the observation found it.
struct PodmanQuadletObserved: Sendable, Equatable {
    var content: String?
    /// Octal permission bits (`640`), nil when the file is missing.
    var mode: String?
    /// The service the generator made from the file is active.
    var active: Bool

    var writtenByKeel: Bool { content?.hasPrefix("# Written by Keel") ?? false }

    /// The shell lines that read a quadlet file (in `directory`, or the default one for whoever runs podman),
    /// its mode, and whether `service` is active, into sections `quadlet-file`, `quadlet-mode`, `quadlet-active`.
    static func observation(fileName: String, directory: String?, service: String?) -> [(name: String, script: String)] {
        let q = ShellQuote.quote
        let pick = """
            if [ "$(id -u)" = 0 ]; then qdir=\(q(directory ?? "/etc/containers/systemd")); qsc=systemctl
            else qdir=\(directory.map(q) ?? "\"$HOME/.config/containers/systemd\""); export XDG_RUNTIME_DIR=/run/user/$(id -u); qsc="systemctl --user"; fi
            """
        var sections = [("quadlet-file", "\(pick)\ncat \"$qdir\"/\(q(fileName)) 2>/dev/null || echo '@@no-quadlet-file@@'"),
                        ("quadlet-mode", "stat -c %a \"$qdir\"/\(q(fileName)) 2>/dev/null")]
        if let service { sections.append(("quadlet-active", "$qsc is-active \(q(service)) 2>/dev/null")) }
        return sections
    }

    init?(sections: [String: String]) {
        guard let file = sections["quadlet-file"] else { return nil }
        content = file.hasPrefix("@@no-quadlet-file@@") ? nil : file + (file.hasSuffix("\n") ? "" : "\n")
        let mode = (sections["quadlet-mode"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        self.mode = mode.isEmpty ? nil : mode
        active = ["active", "activating", "reloading"].contains((sections["quadlet-active"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines))
    }

    init(content: String?, mode: String?, active: Bool) {
        self.content = content
        self.mode = mode
        self.active = active
    }

    /// The file holds `quadlet`'s settings (comments aside).
    func matches(_ quadlet: PodmanQuadlet) -> Bool {
        content.map { PodmanQuadlet.withoutComments($0) == PodmanQuadlet.withoutComments(quadlet.content) } ?? false
    }
}
