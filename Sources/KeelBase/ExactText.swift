import Foundation

/// A string compared and hashed by its UTF-8 bytes. Swift's String equality is Unicode canonical
/// equivalence ("caf\u{e9}" == "cafe\u{301}"), right for names and wrong for a cache whose hit stands for
/// the bytes themselves: a template parsed from one spelling would print its text for the other, a file's
/// content decoded from one would be written for the other.
public struct ExactText: Hashable, Sendable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public static func == (lhs: ExactText, rhs: ExactText) -> Bool { sameBytes(lhs.text, rhs.text) }

    public func hash(into hasher: inout Hasher) {
        var text = self.text
        text.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Whether two strings are the same bytes (not merely canonically equivalent).
    public static func sameBytes(_ lhs: String, _ rhs: String) -> Bool {
        var lhs = lhs, rhs = rhs
        return lhs.withUTF8 { left in
            rhs.withUTF8 { right in
                // memcmp: these are whole scripts (a batch's reads are looked up by them), compared often.
                left.count == right.count && (left.baseAddress == right.baseAddress || left.count == 0
                    || memcmp(left.baseAddress!, right.baseAddress!, left.count) == 0)
            }
        }
    }
}
