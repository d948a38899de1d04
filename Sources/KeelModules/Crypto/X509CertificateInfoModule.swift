import Foundation
import KeelACME
import KeelBase
import OrderedCollections
import SwiftASN1
import X509

/// `x509_certificate_info` (community.crypto): what a certificate says, read on the controller from the
/// host's file (or `content`) with swift-certificates; changes nothing.
public struct X509CertificateInfoModule: Module {
    public static let name = "x509_certificate_info"
    public static let aliases = ["community.crypto.x509_certificate_info"]
    public static let spec = ArgumentSpec(Arguments.self, requiredOneOf: [["path", "content"]])
    public static let documentation = ModuleDocumentation(
        summary: "Read a certificate: names, validity, issuer, key, fingerprints",
        description: "Reads the first certificate of the PEM at `path` on the host (or `content`). Returns not_before/not_after (ASN.1 time, `20261206120000Z`), expired, valid_at (for each name in `valid_at`, whether the certificate is valid then), subject and issuer (as dicts of attribute short names), subject_alt_name (`DNS:name`), serial_number, public_key, public_key_type, signature_algorithm, fingerprints, version.",
        examples: """
            - x509_certificate_info:
                path: /etc/haproxy/certs/site.fullchain.pem
                valid_at: {in_a_month: "+30d"}
              register: cert
            - assert: {that: cert.valid_at.in_a_month}
            """,
        deviations: ["Compared with community.crypto.x509_certificate_info: `valid_at` takes +Nd/+Nh/+Nm/+Ns offsets or ASN.1 times (YYYYMMDDHHMMSSZ); no extensions beyond subjectAltName, key identifiers and basic constraints are returned."])

    public struct Arguments: ModuleArguments {
        @Option("path", .path, help: "The PEM file on the host.") var path: String?
        @Option("content", .string, help: "The PEM text instead of a file.") var content: String?
        @Option("valid_at", .dict, help: "Name -> time (+30d, or 20270101000000Z): whether the certificate is valid at each.") var valid_at: Value?
        public init() {}
    }

    public struct State: Equatable, Sendable { var pem: String }
    public enum Step: Sendable, Codable, Equatable { case none }
    public init() {}

    public func observe(_ a: Arguments, on host: HostContext) async throws -> State {
        State(pem: try await PEMSource.read(path: a.path, content: a.content, what: "certificate", on: host))
    }

    public func plan(_ a: Arguments, observed: State, on host: HostContext) throws -> Plan<Step> {
        let chain = try CertificateChain(pem: observed.pem)
        let certificate = chain.leaf
        let now = Date()
        var values: OrderedDictionary<String, Value> = [
            "not_before": .string(Self.asn1Time(certificate.notValidBefore)), "not_after": .string(Self.asn1Time(certificate.notValidAfter)),
            "expired": .bool(certificate.notValidAfter < now),
            "subject": .dict(Self.names(certificate.subject)), "issuer": .dict(Self.names(certificate.issuer)),
            "subject_alt_name": .list(((try? certificate.extensions.subjectAlternativeNames) ?? nil).map { Array($0) }?.map { Value.string(Self.generalName($0)) } ?? []),
            "serial_number": Self.serial(Array(certificate.serialNumber.bytes)),
            "version": .int(certificate.version == .v3 ? 3 : 1),
            "signature_algorithm": .string("\(certificate.signatureAlgorithm)"),
        ]
        let key = try PrivateKeyDescription.describe(certificate.publicKey)
        values["public_key"] = .string(key.publicKeyPEM)
        values["public_key_type"] = .string(key.type)
        values["public_key_data"] = .dict(OpenSSLPrivateKeyInfoModule.publicData(key))
        var der = DER.Serializer()
        try der.serialize(certificate)
        values["fingerprints"] = .dict(OrderedDictionary(uniqueKeysWithValues: Fingerprints.of(Data(der.serializedBytes)).sorted { $0.key < $1.key }.map { ($0.key, Value.string($0.value)) }))
        if let basic = try? certificate.extensions.basicConstraints {
            if case .isCertificateAuthority = basic { values["basic_constraints"] = .list(["CA:TRUE"]) } else { values["basic_constraints"] = .list(["CA:FALSE"]) }
        }
        if let aki = try? certificate.extensions.authorityKeyIdentifier, let id = aki.keyIdentifier {
            values["authority_key_identifier"] = .string(id.map { String(format: "%02x", $0) }.joined(separator: ":"))
        }
        if let ski = try? certificate.extensions.subjectKeyIdentifier {
            values["subject_key_identifier"] = .string(ski.keyIdentifier.map { String(format: "%02x", $0) }.joined(separator: ":"))
        }
        if let wanted = a.valid_at?.dictValue {
            var validAt: OrderedDictionary<String, Value> = [:]
            for (name, when) in wanted {
                guard let text = when.stringValue, let date = Self.time(text, now: now) else {
                    throw KeelError("valid_at.\(name) is not a time", expected: "+30d, -1h, +90m, +10s or 20270101000000Z", found: "\(when)")
                }
                validAt[name] = .bool(certificate.notValidBefore <= date && date <= certificate.notValidAfter)
            }
            values["valid_at"] = .dict(validAt)
        }
        return .unchanged(values: values)
    }

    public func apply(_ plan: Plan<Step>, on host: HostContext) async throws -> Applied { .unchanged() }

    static func asn1Time(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.string(from: date)
    }

    static func time(_ text: String, now: Date) -> Date? {
        if let sign = text.first, sign == "+" || sign == "-", let unit = text.last, let n = Double(text.dropFirst().dropLast()) {
            let seconds: Double
            switch unit { case "d": seconds = n * 86400; case "h": seconds = n * 3600; case "m": seconds = n * 60; case "s": seconds = n; default: return nil }
            return now.addingTimeInterval(sign == "+" ? seconds : -seconds)
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.date(from: text)
    }

    /// Attribute short names as OpenSSL spells them (commonName, organizationName, ...).
    static func names(_ name: DistinguishedName) -> OrderedDictionary<String, Value> {
        let known: [ASN1ObjectIdentifier: String] = [
            .NameAttributes.commonName: "commonName", .NameAttributes.organizationName: "organizationName",
            .NameAttributes.organizationalUnitName: "organizationalUnitName", .NameAttributes.countryName: "countryName",
            .NameAttributes.stateOrProvinceName: "stateOrProvinceName", .NameAttributes.localityName: "localityName",
            .NameAttributes.emailAddress: "emailAddress",
        ]
        var result: OrderedDictionary<String, Value> = [:]
        for rdn in name {
            for attribute in rdn {
                let key = known[attribute.type] ?? "\(attribute.type)"
                result[key] = .string("\(attribute.value)")
            }
        }
        return result
    }

    static func generalName(_ name: GeneralName) -> String {
        switch name {
        case .dnsName(let n): return "DNS:\(n)"
        case .rfc822Name(let n): return "email:\(n)"
        case .uniformResourceIdentifier(let n): return "URI:\(n)"
        case .ipAddress(let bytes):
            let octets = Array(bytes.bytes)
            return "IP:" + (octets.count == 4 ? octets.map(String.init).joined(separator: ".") : octets.map { String(format: "%02x", $0) }.joined(separator: ":"))
        default: return "\(name)"
        }
    }

    /// community.crypto returns the serial as an integer; one too large for Int comes back as its decimal text.
    static func serial(_ bytes: [UInt8]) -> Value {
        let significant = Array(bytes.drop { $0 == 0 })
        if significant.count < 8 || (significant.count == 8 && significant[0] < 0x80) { return .int(significant.reduce(0) { $0 << 8 | Int($1) }) }
        var digits: [UInt8] = [0]  // little-endian decimal digits
        for byte in bytes {
            var carry = Int(byte)
            for i in digits.indices { let v = Int(digits[i]) * 256 + carry; digits[i] = UInt8(v % 10); carry = v / 10 }
            while carry > 0 { digits.append(UInt8(carry % 10)); carry /= 10 }
        }
        return .string(String(digits.reversed().map { Character(String($0)) }))
    }
}
