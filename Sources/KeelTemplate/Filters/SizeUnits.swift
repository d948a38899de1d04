import Foundation
import KeelBase

/// `human_readable` and `human_to_bytes`: binary (1024-based) size units as Ansible spells them.
enum SizeUnits {
    static let ranges: [(suffix: Character, limit: Double)] = [
        ("Y", 0x1p80), ("Z", 0x1p70), ("E", 0x1p60), ("P", 0x1p50), ("T", 0x1p40), ("G", 0x1p30), ("M", 0x1p20), ("K", 0x1p10), ("B", 1),
    ]

    static func toHuman(_ size: Double, isBits: Bool, unit: String?) -> String {
        let base = isBits ? "bits" : "Bytes"
        var chosen = ranges[ranges.count - 1]
        for range in ranges {
            if let unit, let first = unit.uppercased().first {
                if first == range.suffix { chosen = range; break }
            } else if size >= range.limit {
                chosen = range; break
            }
        }
        let suffix = chosen.limit == 1 ? base : String(chosen.suffix) + String(base.first!)
        return String(format: "%.2f %@", size / chosen.limit, suffix)
    }

    static func toBytes(_ text: String, defaultUnit: String?, isBits: Bool) throws -> Int {
        guard let match = text.range(of: #"^([0-9]*\.?[0-9]+)(\s*[A-Za-z]+)?\s*$"#, options: .regularExpression) else {
            throw KeelError("human_to_bytes() can't interpret following string: \(text)")
        }
        let body = String(text[match])
        let digits = body.prefix { $0.isNumber || $0 == "." }
        guard let number = Double(digits) else { throw KeelError("human_to_bytes() can't interpret following number: \(digits)") }
        var unit: String? = body.dropFirst(digits.count).trimmingCharacters(in: .whitespaces)
        if unit?.isEmpty == true { unit = nil }
        unit = unit ?? defaultUnit
        guard let unit, let key = unit.uppercased().first else { return Int((number).rounded(.toNearestOrEven)) }
        guard let range = ranges.first(where: { $0.suffix == key }) else {
            throw KeelError("human_to_bytes() failed to convert \(text) (unit = \(unit)). The suffix must be one of Y, Z, E, P, T, G, M, K, B")
        }
        if unit.count > 1 {
            // "MB" for bytes, "Mb" for bits; "byte"/"bit" spelled out for B.
            let expected = key == "B" ? (isBits ? "bit" : "byte") : String(key) + (isBits ? "b" : "B")
            if unit.lowercased() != expected.lowercased() || (key != "B" && unit != expected) {
                if !(key == "B" && unit.lowercased() == expected) {
                    throw KeelError("human_to_bytes() failed to convert \(text). Value is not a valid string (expect \(expected) or \(key))")
                }
            }
        }
        return Int((number * range.limit).rounded(.toNearestOrEven))
    }
}
