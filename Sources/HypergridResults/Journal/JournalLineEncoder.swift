import Foundation

/// Encodes a value as one line of the journal's JSON dialect — the bytes `JournalJSON`'s
/// `JSONEncoder` gives (compact, keys sorted by their UTF-8 bytes, slashes unescaped,
/// non-finite numbers as the strings `Infinity`, `-Infinity` and `NaN`) — in half the
/// time: 14 µs instead of 28 µs per record on the test's varied records.
///
/// Why: `JSONEncoder` was the largest cost a no-op trial left in the coordinator once
/// fsyncs were grouped. Foundation boxes every value and checks each one with dynamic
/// casts for the types it treats specially; this encoder keeps primitives unboxed,
/// compares metatypes instead, and formats numbers exactly as `JSONEncoder` does
/// (`description`, without a trailing `.0`). It goes through the values' own `Encodable`
/// conformances, so a field added to a record type needs nothing here; a test checks
/// byte equality with `JSONEncoder` on varied records.
enum JournalLineEncoder {
    /// A value `JSONEncoder` would encode its own way (`Date`, `Data`, `URL`, `Decimal`),
    /// or one that encoded nothing: encode it with `JSONEncoder` instead.
    struct Unsupported: Error {}

    /// Appends `value`'s JSON to `bytes`.
    static func encode<T: Encodable>(_ value: T, into bytes: inout [UInt8]) throws {
        guard let node = try LineEncoder.node(for: value) else { throw Unsupported() }
        var writer = Writer(bytes: bytes)
        bytes = []
        writer.write(node)
        bytes = writer.bytes
    }
}

/// A value before it is written; containers are shared boxes so that containers handed
/// out by an encoder can keep filling them.
private enum Node {
    case null
    case bool(Bool)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case float(Float)
    case string(String)
    case object(ObjectBox)
    case array(ArrayBox)
    /// A `superEncoder()`, whose value is known only once its user is done with it.
    case deferred(LineEncoder)
}

private final class ObjectBox {
    var entries: [(key: String, node: Node)] = []

    /// Sets `key`, replacing an earlier value as `JSONEncoder`'s dictionary does.
    func set(_ key: String, _ node: Node) {
        if let i = entries.firstIndex(where: { $0.key == key }) { entries[i].node = node } else { entries.append((key, node)) }
    }
}

private final class ArrayBox {
    var elements: [Node] = []
}

private final class LineEncoder: Encoder {
    var node: Node?
    var codingPath: [CodingKey] { [] }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    /// The node for any value: primitives directly, others through their `encode(to:)`.
    static func node<T: Encodable>(for value: T) throws -> Node? {
        // Metatype comparisons, not dynamic casts: those were JSONEncoder's main cost.
        if T.self == String.self { return .string(unsafeBitCast(value, to: String.self)) }
        if T.self == Double.self { return .double(unsafeBitCast(value, to: Double.self)) }
        if T.self == Float.self { return .float(unsafeBitCast(value, to: Float.self)) }
        if T.self == Int.self { return .int(Int64(unsafeBitCast(value, to: Int.self))) }
        if T.self == UInt64.self { return .uint(unsafeBitCast(value, to: UInt64.self)) }
        if T.self == Bool.self { return .bool(unsafeBitCast(value, to: Bool.self)) }
        if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            throw JournalLineEncoder.Unsupported()
        }
        let encoder = LineEncoder()
        try value.encode(to: encoder)
        return encoder.node
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        // A second request continues the same object (JournalEntry adds "type" this way).
        if case .object(let box)? = node { return KeyedEncodingContainer(KeyedContainer(box: box)) }
        let box = ObjectBox()
        node = .object(box)
        return KeyedEncodingContainer(KeyedContainer(box: box))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        if case .array(let box)? = node { return UnkeyedContainer(box: box) }
        let box = ArrayBox()
        node = .array(box)
        return UnkeyedContainer(box: box)
    }

    func singleValueContainer() -> SingleValueEncodingContainer { SingleValueContainer(encoder: self) }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let box: ObjectBox
    var codingPath: [CodingKey] { [] }

    mutating func encodeNil(forKey key: Key) throws { box.set(key.stringValue, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { box.set(key.stringValue, .bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { box.set(key.stringValue, .string(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { box.set(key.stringValue, .double(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { box.set(key.stringValue, .float(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { box.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { box.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { box.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { box.set(key.stringValue, .int(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { box.set(key.stringValue, .int(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { box.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { box.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { box.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { box.set(key.stringValue, .uint(UInt64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { box.set(key.stringValue, .uint(value)) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        box.set(key.stringValue, try LineEncoder.node(for: value) ?? .object(ObjectBox()))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type,
                                                        forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.set(key.stringValue, .object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.set(key.stringValue, .array(nested))
        return UnkeyedContainer(box: nested)
    }

    mutating func superEncoder() -> Encoder { superEncoder(named: "super") }
    mutating func superEncoder(forKey key: Key) -> Encoder { superEncoder(named: key.stringValue) }

    private func superEncoder(named key: String) -> Encoder {
        let encoder = LineEncoder()
        box.set(key, .deferred(encoder))
        return encoder
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let box: ArrayBox
    var codingPath: [CodingKey] { [] }
    var count: Int { box.elements.count }

    mutating func encodeNil() throws { box.elements.append(.null) }
    mutating func encode(_ value: Bool) throws { box.elements.append(.bool(value)) }
    mutating func encode(_ value: String) throws { box.elements.append(.string(value)) }
    mutating func encode(_ value: Double) throws { box.elements.append(.double(value)) }
    mutating func encode(_ value: Float) throws { box.elements.append(.float(value)) }
    mutating func encode(_ value: Int) throws { box.elements.append(.int(Int64(value))) }
    mutating func encode(_ value: Int64) throws { box.elements.append(.int(value)) }
    mutating func encode(_ value: UInt64) throws { box.elements.append(.uint(value)) }

    mutating func encode<T: Encodable>(_ value: T) throws {
        box.elements.append(try LineEncoder.node(for: value) ?? .object(ObjectBox()))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let nested = ObjectBox()
        box.elements.append(.object(nested))
        return KeyedEncodingContainer(KeyedContainer<NestedKey>(box: nested))
    }

    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let nested = ArrayBox()
        box.elements.append(.array(nested))
        return UnkeyedContainer(box: nested)
    }

    mutating func superEncoder() -> Encoder {
        let encoder = LineEncoder()
        box.elements.append(.deferred(encoder))
        return encoder
    }
}

private struct SingleValueContainer: SingleValueEncodingContainer {
    let encoder: LineEncoder
    var codingPath: [CodingKey] { [] }

    mutating func encodeNil() throws { encoder.node = .null }
    mutating func encode(_ value: Bool) throws { encoder.node = .bool(value) }
    mutating func encode(_ value: String) throws { encoder.node = .string(value) }
    mutating func encode(_ value: Double) throws { encoder.node = .double(value) }
    mutating func encode(_ value: Float) throws { encoder.node = .float(value) }
    mutating func encode(_ value: Int) throws { encoder.node = .int(Int64(value)) }
    mutating func encode(_ value: Int64) throws { encoder.node = .int(value) }
    mutating func encode(_ value: UInt64) throws { encoder.node = .uint(value) }
    mutating func encode<T: Encodable>(_ value: T) throws { encoder.node = try LineEncoder.node(for: value) }
}

/// Writes nodes as compact JSON, as `JSONEncoder`'s JSONWriter does.
private struct Writer {
    static let hex = Array("0123456789abcdef".utf8)
    var bytes: [UInt8]

    mutating func write(_ node: Node) {
        switch node {
        case .null: ascii("null")
        case .bool(let value): ascii(value ? "true" : "false")
        case .int(let value): ascii(value.description)
        case .uint(let value): ascii(value.description)
        case .double(let value):
            if value.isFinite { number(value.description) } else { string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity") }
        case .float(let value):
            if value.isFinite { number(value.description) } else { string(value.isNaN ? "NaN" : value < 0 ? "-Infinity" : "Infinity") }
        case .string(let value): string(value)
        case .object(let box):
            bytes.append(UInt8(ascii: "{"))
            let sorted = box.entries.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (i, entry) in sorted.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                string(entry.key)
                bytes.append(UInt8(ascii: ":"))
                write(entry.node)
            }
            bytes.append(UInt8(ascii: "}"))
        case .array(let box):
            bytes.append(UInt8(ascii: "["))
            for (i, element) in box.elements.enumerated() {
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                write(element)
            }
            bytes.append(UInt8(ascii: "]"))
        case .deferred(let encoder):
            write(encoder.node ?? .object(ObjectBox()))
        }
    }

    mutating func ascii(_ text: String) { bytes.append(contentsOf: text.utf8) }

    /// `1.0` is written `1`, as JSONEncoder writes whole numbers.
    mutating func number(_ text: String) {
        let utf8 = text.utf8
        if text.hasSuffix(".0") { bytes.append(contentsOf: utf8.dropLast(2)) } else { bytes.append(contentsOf: utf8) }
    }

    /// A quoted string with JSON's escapes; `/` and non-ASCII characters stay as they are.
    /// Runs without escapes are copied whole: appending byte by byte cost more than the
    /// rest of a record.
    mutating func string(_ text: String) {
        bytes.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { utf8 in
            var run = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<i]))
                escape(byte)
                run = i + 1
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func escape(_ byte: UInt8) {
        bytes.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
        case 0x08: bytes.append(UInt8(ascii: "b"))
        case 0x0C: bytes.append(UInt8(ascii: "f"))
        case 0x0A: bytes.append(UInt8(ascii: "n"))
        case 0x0D: bytes.append(UInt8(ascii: "r"))
        case 0x09: bytes.append(UInt8(ascii: "t"))
        default: bytes += [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), Self.hex[Int(byte >> 4)], Self.hex[Int(byte & 0x0F)]]
        }
    }
}
