import Foundation
import KeelBase
import OrderedCollections

/// Decodes validated module arguments (a `Value`) into a module's typed `Arguments` struct, so module code
/// works with real types rather than dictionary lookups. Validation already happened (ArgumentValidator);
/// errors here are programming mistakes in a module's spec and say which key disagreed.
public struct ValueDecoder {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: Value) throws -> T {
        try T(from: ValueDecoding(value: value, codingPath: []))
    }
}

struct ValueDecoding: Decoder {
    let value: Value
    let codingPath: [CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .dict(let d) = value else { throw mismatch("a mapping") }
        return KeyedDecodingContainer(KeyedValueContainer<Key>(dict: d, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> UnkeyedDecodingContainer {
        guard case .list(let l) = value else { throw mismatch("a list") }
        return UnkeyedValueContainer(items: l, codingPath: codingPath)
    }

    func singleValueContainer() throws -> SingleValueDecodingContainer { single }
    var single: SingleValueContainer { SingleValueContainer(value: value, codingPath: codingPath) }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(Value.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.typeName)"))
    }
}

struct KeyedValueContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let dict: OrderedDictionary<String, Value>
    let codingPath: [CodingKey]
    var allKeys: [Key] { dict.keys.compactMap(Key.init(stringValue:)) }

    func contains(_ key: Key) -> Bool { dict[key.stringValue] != nil }

    func child(_ key: Key) throws -> ValueDecoding {
        guard let value = dict[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no value for '\(key.stringValue)'"))
        }
        return ValueDecoding(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { dict[key.stringValue] == nil || dict[key.stringValue] == .null }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try T(from: child(key)) }

    // Every module's arguments are decoded for every task and host (twice when looked at ahead): the
    // protocol's default decodeIfPresent and the generic path through `T(from:)` cost runtime type lookups
    // per field, so the common field types are decoded here directly, with the same rules.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        try present(key).map { try T(from: $0) }
    }
    /// The key's value (nil when absent or null), with its coding path for errors.
    private func present(_ key: Key) -> ValueDecoding? {
        guard let value = dict[key.stringValue], value != .null else { return nil }
        return ValueDecoding(value: value, codingPath: codingPath + [key])
    }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try child(key).single.decode(type) }
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try child(key).single.decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try child(key).single.decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try child(key).single.decode(type) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(key)?.single.decode(type) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(key)?.single.decode(type) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(key)?.single.decode(type) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(key)?.single.decode(type) }
    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        try child(key).container(keyedBy: type)
    }
    func nestedUnkeyedContainer(forKey key: Key) throws -> UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
    func superDecoder() throws -> Decoder { ValueDecoding(value: .dict(dict), codingPath: codingPath) }
    func superDecoder(forKey key: Key) throws -> Decoder { try child(key) }
}

struct UnkeyedValueContainer: UnkeyedDecodingContainer {
    let items: [Value]
    let codingPath: [CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    struct IndexKey: CodingKey {
        var stringValue: String { String(intValue!) }
        var intValue: Int?
        init(_ index: Int) { intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }

    mutating func next() throws -> ValueDecoding {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(Value.self, .init(codingPath: codingPath, debugDescription: "list ended"))
        }
        defer { currentIndex += 1 }
        return ValueDecoding(value: items[currentIndex], codingPath: codingPath + [IndexKey(currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, items[currentIndex] == .null { currentIndex += 1; return true }
        return false
    }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: next()) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        try next().container(keyedBy: type)
    }
    mutating func nestedUnkeyedContainer() throws -> UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> Decoder { try next() }
}

struct SingleValueContainer: SingleValueDecodingContainer {
    let value: Value
    let codingPath: [CodingKey]

    func decodeNil() -> Bool { value == .null }

    func mismatch<T>(_ type: T.Type) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "found \(value.typeName)"))
    }

    func decode(_ type: Bool.Type) throws -> Bool { guard case .bool(let b) = value else { throw mismatch(type) }; return b }
    func decode(_ type: String.Type) throws -> String {
        switch value {
        case .string(let s): return s
        case .int(let i): return String(i)
        default: throw mismatch(type)
        }
    }
    func decode(_ type: Double.Type) throws -> Double {
        switch value {
        case .double(let d): return d
        case .int(let i): return Double(i)
        default: throw mismatch(type)
        }
    }
    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
    func decode(_ type: Int.Type) throws -> Int { guard case .int(let i) = value else { throw mismatch(type) }; return i }
    func decode(_ type: Int8.Type) throws -> Int8 { Int8(try decode(Int.self)) }
    func decode(_ type: Int16.Type) throws -> Int16 { Int16(try decode(Int.self)) }
    func decode(_ type: Int32.Type) throws -> Int32 { Int32(try decode(Int.self)) }
    func decode(_ type: Int64.Type) throws -> Int64 { Int64(try decode(Int.self)) }
    func decode(_ type: UInt.Type) throws -> UInt { UInt(try decode(Int.self)) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { UInt8(try decode(Int.self)) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { UInt16(try decode(Int.self)) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { UInt32(try decode(Int.self)) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { UInt64(try decode(Int.self)) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Value.self { return value as! T }
        return try T(from: ValueDecoding(value: value, codingPath: codingPath))
    }
}

extension Value: Decodable {
    /// A `Value` field in an Arguments struct takes the argument as it is (for `raw` options).
    public init(from decoder: Decoder) throws {
        if let decoding = decoder as? ValueDecoding { self = decoding.value; return }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let b = try? container.decode(Bool.self) { self = .bool(b) }
        else if let i = try? container.decode(Int.self) { self = .int(i) }
        else if let d = try? container.decode(Double.self) { self = .double(d) }
        else if let s = try? container.decode(String.self) { self = .string(s) }
        else if let l = try? container.decode([Value].self) { self = .list(l) }
        else { self = .dict(OrderedDictionary(uniqueKeysWithValues: try container.decode([String: Value].self).sorted { $0.key < $1.key })) }
    }
}

extension Value: Encodable {
    /// Plans are saveable: a `Value` a step or a plan carries encodes as the JSON value it is.
    public func encode(to encoder: Encoder) throws {
        switch self {
        case .null: var c = encoder.singleValueContainer(); try c.encodeNil()
        case .bool(let b): var c = encoder.singleValueContainer(); try c.encode(b)
        case .int(let i): var c = encoder.singleValueContainer(); try c.encode(i)
        case .double(let d): var c = encoder.singleValueContainer(); try c.encode(d)
        case .string(let s): var c = encoder.singleValueContainer(); try c.encode(s)
        case .list(let l): var c = encoder.unkeyedContainer(); for item in l { try c.encode(item) }
        case .dict(let d):
            var c = encoder.container(keyedBy: DynamicKey.self)
            for (key, value) in d { try c.encode(value, forKey: DynamicKey(stringValue: key)) }
        }
    }

    struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
