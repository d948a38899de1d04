import Foundation

/// Splits an inventory host entry into a host name (possibly still holding `[x:y]` ranges) and an optional
/// port, the way Ansible's inventory plugins read `web01:2222`, `[::1]:22` or `db[01:03].example.com`.
/// An entry that is not a recognisable address is kept whole with no port, as Ansible does.
enum HostAddress {
    static func split(_ entry: String) -> (host: String, port: Int?) {
        var address = entry
        var port: Int?
        if let (inner, p) = bracketedHostPort(address) { address = inner; port = p }
        if let (inner, p) = hostPort(address) { address = inner; port = p }
        guard isIPv4(address) || isIPv6(address) || isHostname(address) else { return (entry, nil) }
        return (address, port)
    }

    /// `[host]:port`: the only way to give an IPv6 address a port.
    static func bracketedHostPort(_ s: String) -> (String, Int)? {
        guard s.hasPrefix("["), let close = s.lastIndex(of: "]") else { return nil }
        let after = s[s.index(after: close)...]
        guard after.hasPrefix(":"), let port = Int(after.dropFirst()), after.count > 1,
              after.dropFirst().allSatisfy(\.isASCIIDigit) else { return nil }
        let inner = s[s.index(after: s.startIndex)..<close]
        guard !inner.isEmpty else { return nil }
        return (String(inner), port)
    }

    /// `host:port` where the host part has no bare ':' (bracketed ranges may contain one).
    static func hostPort(_ s: String) -> (String, Int)? {
        guard let colon = s.lastIndex(of: ":") else { return nil }
        let digits = s[s.index(after: colon)...]
        guard !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let port = Int(digits) else { return nil }
        let head = s[..<colon]
        var depth = 0
        for c in head {
            if c == "[" { if depth > 0 { return nil }; depth += 1 }
            else if c == "]" { if depth == 0 { return nil }; depth -= 1 }
            else if c == ":" && depth == 0 { return nil }
        }
        guard depth == 0 else { return nil }
        return (String(head), port)
    }

    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return false }
        return parts.allSatisfy { part in
            if part.hasPrefix("[") { return isNumericRange(part) }
            guard (1...3).contains(part.count), part.allSatisfy(\.isASCIIDigit), let v = Int(part) else { return false }
            return v <= 255
        }
    }

    /// Hex groups and colons (and an embedded IPv4 tail): a loose check, enough to keep addresses whole.
    static func isIPv6(_ s: String) -> Bool {
        guard s.filter({ $0 == ":" }).count >= 2 else { return false }
        return s.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." || $0 == "[" || $0 == "]" }
    }

    /// Dot-separated labels of word characters and '-', each starting with a word character or a range
    /// and not ending with '-' or '_'.
    static func isHostname(_ s: String) -> Bool {
        let labels = s.split(separator: ".", omittingEmptySubsequences: false)
        return !labels.isEmpty && labels.allSatisfy(isLabel)
    }

    static func isLabel(_ label: Substring) -> Bool {
        guard !label.isEmpty else { return false }
        var index = label.startIndex
        var first = true
        var last: Character = " "
        while index < label.endIndex {
            let c = label[index]
            if c == "[" {
                guard let close = label[index...].firstIndex(of: "]"), isAlphanumericRange(label[index...close]) else { return false }
                index = label.index(after: close)
                last = "]"
            } else {
                let isWord = c.isLetter || c.isNumber || c == "_"
                guard isWord || (!first && c == "-") else { return false }
                last = c
                index = label.index(after: index)
            }
            first = false
        }
        return last != "-" && last != "_"
    }

    static func isNumericRange(_ s: Substring) -> Bool {
        guard s.hasPrefix("["), s.hasSuffix("]") else { return false }
        let parts = s.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false)
        return (parts.count == 2 || parts.count == 3) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }

    static func isAlphanumericRange(_ s: Substring) -> Bool {
        if isNumericRange(s) { return true }
        guard s.hasPrefix("["), s.hasSuffix("]") else { return false }
        let parts = s.dropFirst().dropLast().split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return false }
        let lower = { (p: Substring) in p.count == 1 && p.first!.isASCII && p.first!.isLowercase }
        guard lower(parts[0]), lower(parts[1]) else { return false }
        return parts.count == 2 || (!parts[2].isEmpty && parts[2].allSatisfy(\.isASCIIDigit))
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
