/// The little-endian binary layout shared by hypergrid's own files (training checkpoints,
/// model files): fixed-width integers and floats, length-prefixed strings and arrays, sealed
/// by a CRC-32 of everything before it. One writer and one reader so that every format
/// spells a float array, a string or an optional the same way.
public struct LittleEndianWriter: Sendable {
    public var bytes: [UInt8]

    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    public mutating func raw(_ values: [UInt8]) { bytes.append(contentsOf: values) }
    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    public mutating func u32(_ v: UInt32) { for k in 0..<4 { bytes.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
    public mutating func u64(_ v: UInt64) { for k in 0..<8 { bytes.append(UInt8((v >> (8 * UInt64(k))) & 0xFF)) } }
    public mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    public mutating func f64(_ v: Double) { u64(v.bitPattern) }
    /// A presence byte (0 or 1), then the value.
    public mutating func optional(_ v: Double?) {
        bytes.append(v == nil ? 0 : 1)
        if let v { f64(v) }
    }
    /// The UTF-8 byte count, then the bytes.
    public mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        i64(utf8.count)
        bytes.append(contentsOf: utf8)
    }
    /// The count, then the floats.
    public mutating func floats(_ values: [Float]) {
        i64(values.count)
        // Millions of floats (weights and optimizer buffers): one copy, not four appends each.
        // The format is little-endian, which is the memory layout on every supported target.
        #if _endian(little)
        values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        #else
        for v in values { u32(v.bitPattern) }
        #endif
    }
    /// The count, then the doubles.
    public mutating func doubles(_ values: [Double]) {
        i64(values.count)
        for v in values { f64(v) }
    }
    /// Appends the CRC-32 of everything written so far: the blob is complete.
    public mutating func seal() {
        let crc = bytes.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: $0.count) }
        u32(crc)
    }
}

/// Why a blob could not be read: truncated, a bad count, a bad checksum, invalid UTF-8.
public struct BlobFormatError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Reads what ``LittleEndianWriter`` wrote, checking every count against the bytes left.
public struct LittleEndianReader {
    public let bytes: [UInt8]
    /// Where the payload ends (the checksum's first byte for a sealed blob).
    public let end: Int
    public var offset: Int

    public init(bytes: [UInt8], end: Int, offset: Int) {
        self.bytes = bytes
        self.end = end
        self.offset = offset
    }

    /// A reader of a sealed blob's payload after `headerBytes`, or nil when the blob is
    /// shorter than its checksum or the checksum does not match.
    public static func sealed(_ bytes: [UInt8], from headerBytes: Int) -> LittleEndianReader? {
        guard bytes.count >= headerBytes + 4 else { return nil }
        let body = bytes.count - 4
        let stored = bytes[body...].enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        let actual = bytes.withUnsafeBytes { CRC32.checksum($0.baseAddress!, count: body) }
        guard stored == actual else { return nil }
        return LittleEndianReader(bytes: bytes, end: body, offset: headerBytes)
    }

    public var isAtEnd: Bool { offset == end }

    public mutating func take(_ n: Int) throws -> ArraySlice<UInt8> {
        guard n >= 0, n <= end - offset else { throw BlobFormatError("truncated at byte \(offset)") }
        defer { offset += n }
        return bytes[offset..<(offset + n)]
    }
    mutating func little(_ n: Int) throws -> UInt64 {
        try take(n).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }
    public mutating func u8() throws -> UInt8 { try take(1).first! }
    public mutating func u16() throws -> UInt16 { UInt16(try little(2)) }
    public mutating func u32() throws -> UInt32 { UInt32(try little(4)) }
    public mutating func u64() throws -> UInt64 { try little(8) }
    public mutating func i64() throws -> Int { Int(Int64(bitPattern: try little(8))) }
    public mutating func f64() throws -> Double { Double(bitPattern: try little(8)) }
    public mutating func optional() throws -> Double? {
        switch try take(1).first! {
        case 0: return nil
        case 1: return try f64()
        case let tag: throw BlobFormatError("bad presence byte \(tag) at \(offset - 1)")
        }
    }
    /// A count of `size`-byte items that must fit in the bytes left.
    public mutating func count(_ size: Int) throws -> Int {
        let n = try i64()
        guard n >= 0, n <= (end - offset) / size else { throw BlobFormatError("bad count \(n) at \(offset - 8)") }
        return n
    }
    public mutating func string() throws -> String {
        let n = try count(1)
        guard let s = String(validating: try take(n), as: UTF8.self) else { throw BlobFormatError("invalid UTF-8 at \(offset - n)") }
        return s
    }
    public mutating func floats() throws -> [Float] {
        let n = try count(4)
        #if _endian(little)
        // One copy of the little-endian bytes (see `LittleEndianWriter.floats`).
        let raw = try take(4 * n)
        return [Float](unsafeUninitializedCapacity: n) { buffer, initialized in
            raw.withUnsafeBytes { UnsafeMutableRawBufferPointer(buffer).copyMemory(from: $0) }
            initialized = n
        }
        #else
        var out: [Float] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(Float(bitPattern: UInt32(try little(4)))) }
        return out
        #endif
    }
    public mutating func doubles() throws -> [Double] {
        let n = try count(8)
        var out: [Double] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try f64()) }
        return out
    }
}
