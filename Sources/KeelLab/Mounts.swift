import Foundation

/// Reading /proc/mounts.
enum Mounts {
    /// Mount points as the kernel lists them (with its octal escapes undone for spaces).
    static func all() -> [String] {
        let text = readProcFile("/proc/mounts") ?? ""
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            return fields.count > 1 ? fields[1].replacingOccurrences(of: "\\040", with: " ") : nil
        }
    }

    static func isMountPoint(_ path: String) -> Bool {
        all().contains(path)
    }

    /// True when some mount's options name `path` (an overlay with it as lower layer, say).
    static func optionsMention(_ path: String) -> Bool {
        let text = readProcFile("/proc/mounts") ?? ""
        return text.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 3 && fields[3].split(separator: ",").contains { $0.hasSuffix("=\(path)") || $0.contains("=\(path):") }
        }
    }

    /// Mount points at or below `path`.
    static func under(_ path: String) -> [String] {
        all().filter { $0 == path || $0.hasPrefix(path + "/") }
    }
}
