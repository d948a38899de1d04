import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Does an address fall inside a firewalld source (`10.0.0.0/8`, `2001:db8::/32`, `198.18.0.1`)?
/// MAC and ipset sources cannot be decided from here and never match.
enum AddressMatch {
    static func contains(_ network: String, _ address: String) -> Bool {
        let pieces = network.split(separator: "/", maxSplits: 1).map(String.init)
        guard let base = bytes(pieces[0]), let candidate = bytes(address), base.count == candidate.count else { return false }
        let bits: Int
        if pieces.count == 2 {
            if let prefix = Int(pieces[1]) {
                bits = prefix
            } else if let mask = bytes(pieces[1]), mask.count == 4 {
                // 10.0.0.0/255.0.0.0
                bits = mask.reduce(0) { $0 + $1.nonzeroBitCount }
            } else {
                return false
            }
        } else {
            bits = base.count * 8
        }
        guard bits >= 0, bits <= base.count * 8 else { return false }
        for index in 0..<base.count {
            let maskBits = max(0, min(8, bits - index * 8))
            let mask: UInt8 = maskBits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - maskBits))
            if base[index] & mask != candidate[index] & mask { return false }
        }
        return true
    }

    static func isIPv6(_ address: String) -> Bool { bytes(address)?.count == 16 }

    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return withUnsafeBytes(of: &v4) { Array($0) } }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 { return withUnsafeBytes(of: &v6) { Array($0) } }
        return nil
    }
}
