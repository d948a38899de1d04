import Foundation
import KeelACME

/// Why a certificate is ordered (or not): the words check mode and the real run report.
enum ACMERenewalReason: Sendable, Equatable {
    case missing
    case unreadable(String)
    case namesDiffer(have: [String], want: [String])
    case keyDiffers
    case newKey
    case expiring(daysLeft: Int)
    case renewalWindow(start: Date)
    case forced

    var message: String {
        switch self {
        case .missing: return "would issue"
        case .unreadable(let why): return "would issue (the present certificate is incomplete or unreadable: \(why))"
        case .namesDiffer(let have, let want): return "would reissue (names \(have.joined(separator: ", ")) -> \(want.joined(separator: ", ")))"
        case .keyDiffers: return "would reissue (the certificate is not for the private key)"
        case .newKey: return "would issue (a new private key)"
        case .expiring(let days): return "would renew (expires in \(days) days)"
        case .renewalWindow(let start): return "would renew (the CA's renewal window opened \(ISO8601DateFormatter().string(from: start)))"
        case .forced: return "would renew (force)"
        }
    }

    /// The same, past tense, for the real run's message.
    var doneMessage: String {
        message.replacingOccurrences(of: "would issue", with: "issued").replacingOccurrences(of: "would reissue", with: "reissued")
            .replacingOccurrences(of: "would renew", with: "renewed")
    }

    /// The first reason found, in the order a person would ask: is there one, is it the right one, is it due.
    static func decide(chain: Result<CertificateChain, Error>?, key: CertificateKey?, newKey: Bool, domains: [String], remainingDays: Int,
                       renewalWindowStart: Date?, force: Bool, now: Date = Date()) -> ACMERenewalReason? {
        guard let chain else { return .missing }
        let certificate: CertificateChain
        switch chain {
        case .failure(let error): return .unreadable("\(error)")
        case .success(let c): certificate = c
        }
        if newKey { return .newKey }
        let want = Set(domains.map { $0.lowercased() }).sorted()
        if certificate.dnsNames != want { return .namesDiffer(have: certificate.dnsNames, want: want) }
        if let key, key.publicKey != certificate.leaf.publicKey { return .keyDiffers }
        if force { return .forced }
        let days = certificate.daysLeft(at: now)
        if days < remainingDays { return .expiring(daysLeft: days) }
        if let start = renewalWindowStart, now >= start { return .renewalWindow(start: start) }
        return nil
    }
}
