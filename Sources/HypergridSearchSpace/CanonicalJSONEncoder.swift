import Foundation

/// Encodes a value as compact JSON with sorted keys, byte for byte as Foundation's
/// `JSONEncoder` with `[.sortedKeys, .withoutEscapingSlashes]` writes it: the bytes trial ids
/// hash.
///
/// Why hand-written: planning a grid hashes every point's configuration, and `JSONEncoder`
/// took about half of the planning time (≈ 40 µs a point: a 1,000,000-point grid planned for
/// a minute and a half). This encoder writes straight into one byte buffer.
///
/// It covers what configurations hold (keyed and unkeyed containers, booleans, integers,
/// finite floating-point numbers, plain strings, nil). Anything else — a string with a control
/// character, a non-finite number, `superEncoder` — throws ``Unsupported``, and the caller
/// falls back to `JSONEncoder`, so the bytes never depend on which path ran.
/// `CanonicalJSONTests` checks both give the same bytes on many configurations.
struct CanonicalJSONEncoder {
    /// The value needs `JSONEncoder` (see the type's comment).
    struct Unsupported: Error {}

    static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let root = Node()
        try value.encode(to: NodeEncoder(node: root))
        var out: [UInt8] = []
        out.reserveCapacity(512)
        try root.write(into: &out)
        return out
    }
}

/// A JSON value being built. Stored properties rather than an enum's payloads, so that
/// appending a member does not copy the members (a payload taken out of an enum is a copy).
private final class Node {
    enum Kind { case unset, scalar, array, object }
    var kind = Kind.unset
    var scalar = ""
    /// Array items, or object members' values (beside `keys`).
    var children: [Node] = []
    var keys: [String] = []
    /// Stands where a super encoder wrote (whatever it holds): the encoding falls back.
    var poisoned = false

    init() {}
    init(scalar: String) {
        kind = .scalar
        self.scalar = scalar
    }

    static func poison() -> Node {
        let n = Node()
        n.poisoned = true
        return n
    }

    func becomeObject() { if kind != .object { kind = .object; children = []; keys = [] } }
    func becomeArray() { if kind != .array { kind = .array; children = []; keys = [] } }

    /// A member; a key written twice keeps its last value, as JSONEncoder does.
    func add(_ child: Node, key: String) {
        guard kind == .object else { return }
        if let i = keys.firstIndex(of: key) { children[i] = child; return }
        keys.append(key)
        children.append(child)
    }

    func write(into out: inout [UInt8]) throws {
        if poisoned { throw CanonicalJSONEncoder.Unsupported() }
        switch kind {
        case .unset: throw CanonicalJSONEncoder.Unsupported()   // an encode(to:) that wrote nothing
        case .scalar: out.append(contentsOf: scalar.utf8)
        case .array:
            out.append(UInt8(ascii: "["))
            for (i, item) in children.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                try item.write(into: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            // Sorted by the keys' UTF-8 bytes, as `.sortedKeys` sorts.
            let order = keys.indices.sorted { keys[$0].utf8.lexicographicallyPrecedes(keys[$1].utf8) }
            out.append(UInt8(ascii: "{"))
            for (n, i) in order.enumerated() {
                if n > 0 { out.append(UInt8(ascii: ",")) }
                try Node.writeString(keys[i], into: &out)
                out.append(UInt8(ascii: ":"))
                try children[i].write(into: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeString(_ s: String, into out: inout [UInt8]) throws {
        out.append(UInt8(ascii: "\""))
        for byte in s.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0..<0x20: throw CanonicalJSONEncoder.Unsupported()   // escapes left to JSONEncoder
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    static func quoted(_ s: String) throws -> String {
        var bytes: [UInt8] = []
        try writeString(s, into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// JSONEncoder's spelling of a finite number: Swift's shortest round-trip description,
    /// without a trailing ".0".
    static func number<F: BinaryFloatingPoint & CustomStringConvertible>(_ v: F) throws -> String {
        guard v.isFinite else { throw CanonicalJSONEncoder.Unsupported() }
        let s = v.description
        return s.hasSuffix(".0") ? String(s.dropLast(2)) : s
    }
}

private struct NodeEncoder: Encoder {
    let node: Node
    var codingPath: [CodingKey] = []
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        node.becomeObject()
        return KeyedEncodingContainer(KeyedNodeContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> UnkeyedEncodingContainer {
        node.becomeArray()
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

/// The scalar spelling of a primitive, or nil for a value that encodes itself.
private func scalar<T: Encodable>(_ value: T) throws -> String? {
    switch value {
    case let v as Bool: return v ? "true" : "false"
    case let v as String: return try Node.quoted(v)
    case let v as Double: return try Node.number(v)
    case let v as Float: return try Node.number(v)
    case let v as Int: return String(v)
    case let v as Int8: return String(v)
    case let v as Int16: return String(v)
    case let v as Int32: return String(v)
    case let v as Int64: return String(v)
    case let v as UInt: return String(v)
    case let v as UInt8: return String(v)
    case let v as UInt16: return String(v)
    case let v as UInt32: return String(v)
    case let v as UInt64: return String(v)
    // Types JSONEncoder spells its own way (dates, data, URLs, decimals, dictionaries).
    case is Date, is Data, is URL, is Decimal, is [String: any Encodable]: throw CanonicalJSONEncoder.Unsupported()
    default: return nil
    }
}

private func encoded<T: Encodable>(_ value: T, codingPath: [CodingKey]) throws -> Node {
    if let s = try scalar(value) { return Node(scalar: s) }
    let child = Node()
    try value.encode(to: NodeEncoder(node: child, codingPath: codingPath))
    return child
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: Node
    var codingPath: [CodingKey]

    private func add(_ child: Node, _ key: Key) { node.add(child, key: key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { add(Node(scalar: "null"), key) }
    // The primitives a synthesized encode(to:) calls, spelled without dynamic casts.
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(Node(scalar: value ? "true" : "false"), key) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(Node(scalar: try Node.quoted(value)), key) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(Node(scalar: try Node.number(value)), key) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(Node(scalar: try Node.number(value)), key) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(Node(scalar: String(value)), key) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(Node(scalar: String(value)), key) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        add(try encoded(value, codingPath: codingPath + [key]), key)
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let child = Node(); child.becomeObject(); add(child, key)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath + [key]))
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> UnkeyedEncodingContainer {
        let child = Node(); child.becomeArray(); add(child, key)
        return UnkeyedNodeContainer(node: child, codingPath: codingPath + [key])
    }
    // Super encoders are left to JSONEncoder: a poisoned member makes the encoding fall back.
    mutating func superEncoder() -> Encoder {
        let child = Node.poison(); node.add(child, key: "super")
        return NodeEncoder(node: child, codingPath: codingPath)
    }
    mutating func superEncoder(forKey key: Key) -> Encoder {
        let child = Node.poison(); add(child, key)
        return NodeEncoder(node: child, codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: Node
    var codingPath: [CodingKey]
    var count: Int { node.children.count }

    private func add(_ child: Node) { if node.kind == .array { node.children.append(child) } }

    mutating func encodeNil() throws { add(Node(scalar: "null")) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        add(try encoded(value, codingPath: codingPath))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let child = Node(); child.becomeObject(); add(child)
        return KeyedEncodingContainer(KeyedNodeContainer<NestedKey>(node: child, codingPath: codingPath))
    }
    mutating func nestedUnkeyedContainer() -> UnkeyedEncodingContainer {
        let child = Node(); child.becomeArray(); add(child)
        return UnkeyedNodeContainer(node: child, codingPath: codingPath)
    }
    mutating func superEncoder() -> Encoder {
        let child = Node.poison(); add(child)
        return NodeEncoder(node: child, codingPath: codingPath)
    }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: Node
    var codingPath: [CodingKey]

    mutating func encodeNil() throws { node.kind = .scalar; node.scalar = "null" }
    mutating func encode<T: Encodable>(_ value: T) throws {
        if let s = try scalar(value) {
            node.kind = .scalar
            node.scalar = s
        } else {
            try value.encode(to: NodeEncoder(node: node, codingPath: codingPath))
        }
    }
}
