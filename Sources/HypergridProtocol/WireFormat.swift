import HypergridSearchSpace

/// Constants of the frame envelope. Layout of every frame:
///
///     offset 0  2 bytes  magic "HG" (0x48 0x47)
///     offset 2  2 bytes  protocol version, UInt16 big-endian
///     offset 4  1 byte   message type
///     offset 5  …        the payload: the message's fields in a fixed order, nothing after
///
/// The first five bytes, and the payload of `refuse` (one string field), are frozen across
/// versions so that a peer of another version can still say why it refuses.
public enum WireFormat {
    /// The first two bytes of every frame, "HG".
    public static let magic: [UInt8] = [0x48, 0x47]
    /// The protocol version this build speaks. Bump it on any change to a payload layout,
    /// including fields added to `TrialConfig`, `DatasetSpec` or `TrialOutcome`.
    /// 2: `assign` and `result` carry the coordinator's assignment token.
    /// 3: halving budgets and the refit in `TrialConfig`, `resumedAt` in `TrialMetrics`,
    /// checkpoints in `assign` and `result`.
    /// 4: TrialConfig's model features (dropout, horizontal flip, schedule, warm-up).
    /// 5: the fields added through the field table (`TrialFieldExtension`): the training
    /// features of issue 19 (random crop, label smoothing, decoupled weight decay).
    /// Regression (issue #15) changed no version: a built-in dataset's task and a result's
    /// regression figures are announced by the high bit of the kind and status tags and
    /// appended, so every frame without them keeps its bytes; a peer that predates them
    /// refuses such a frame as an unknown tag.
    /// 5: early stopping (`training.early_stop`, `training.early_stop_tol`), two fields of the
    /// field table appended to `TrialConfig` (one tag byte each when off).
    public static let version: UInt16 = TrialField.extensions.map(\.added.wireVersion).reduce(4, max)
    /// Magic, version and type: the bytes before the payload.
    public static let headerSize = 5
    /// Frames (and so dataset chunks) above this size are refused unless a caller passes a
    /// larger limit; also the value to give a socket's max message size.
    ///
    /// 1 GiB: a result carries its halving checkpoint (weights, Adam's two moments and the
    /// history: 151 MB for CIFAR-10's 3072-1024 net) and its model (50 MB) in one frame.
    /// At 64 MiB, which sufficed for the seed's nets, a wide net's checkpoint could not travel
    /// and every halving rung retrained its survivors from scratch.
    public static let defaultMaxFrameSize = 1 << 30
}

/// Appends big-endian fields; lengths and counts are UInt32.
struct WireWriter {
    private(set) var bytes: [UInt8]
    let limit: Int

    init(type: MessageType, capacity: Int, limit: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        self.limit = limit
        bytes.append(contentsOf: WireFormat.magic)
        u16(WireFormat.version)
        u8(type.rawValue)
    }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { bytes.append(UInt8(v >> 8)); bytes.append(UInt8(v & 0xFF)) }
    mutating func u32(_ v: UInt32) {
        bytes.append(UInt8(v >> 24)); bytes.append(UInt8((v >> 16) & 0xFF))
        bytes.append(UInt8((v >> 8) & 0xFF)); bytes.append(UInt8(v & 0xFF))
    }
    mutating func u64(_ v: UInt64) { u32(UInt32(v >> 32)); u32(UInt32(v & 0xFFFF_FFFF)) }
    /// Swift `Int` travels as a two's-complement Int64.
    mutating func i64(_ v: Int) { u64(UInt64(bitPattern: Int64(v))) }
    /// Floating-point values travel as their IEEE-754 bits, so NaN payloads, infinities and
    /// negative zero survive exactly.
    mutating func f64(_ v: Double) { u64(v.bitPattern) }
    mutating func f32(_ v: Float) { u32(v.bitPattern) }
    mutating func bool(_ v: Bool) { u8(v ? 1 : 0) }
    /// Many words at once: loss curves run to thousands of values; growing the buffer once
    /// and reading with one bounds check (below) halved the encode+decode time of a result
    /// with 10,000 losses (measured in release: 300 → 158 µs).
    mutating func words<W: FixedWidthInteger>(_ values: [W]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: values.count * MemoryLayout<W>.size))
        bytes.withUnsafeMutableBytes { out in
            for (k, v) in values.enumerated() {
                out.storeBytes(of: v.bigEndian, toByteOffset: start + k * MemoryLayout<W>.size, as: W.self)
            }
        }
    }
    /// Presence byte of an optional: 0 absent, 1 present.
    mutating func presence(_ present: Bool) { u8(present ? 1 : 0) }

    /// A length or element count, refused if it could not fit in a frame.
    mutating func count(_ n: Int, _ field: StaticString) throws(ProtocolError) {
        guard n <= limit, let v = UInt32(exactly: n) else {
            throw .fieldTooLarge(field: "\(field)", length: n, limit: limit)
        }
        u32(v)
    }
    mutating func byteArray(_ b: [UInt8], _ field: StaticString) throws(ProtocolError) {
        try count(b.count, field)
        bytes.append(contentsOf: b)
    }
    mutating func string(_ s: String, _ field: StaticString) throws(ProtocolError) {
        var s = s
        try count(s.utf8.count, field)
        s.withUTF8 { bytes.append(contentsOf: $0) }
    }
    mutating func trialID(_ id: TrialID, _ field: StaticString) throws(ProtocolError) {
        try string(id.hex, field)
    }
    mutating func optional(_ v: Double?) {
        presence(v != nil)
        if let v { f64(v) }
    }
    mutating func optional(_ v: Int?) {
        presence(v != nil)
        if let v { i64(v) }
    }
    mutating func optional(_ v: String?, _ field: StaticString) throws(ProtocolError) {
        presence(v != nil)
        if let v { try string(v, field) }
    }

    /// The finished frame, refused if it exceeds the limit.
    func frame() throws(ProtocolError) -> [UInt8] {
        guard bytes.count <= limit else { throw .frameTooLarge(size: bytes.count, limit: limit) }
        return bytes
    }
}

/// Reads fields with a bounds check before every access: a malformed frame throws, never traps.
struct WireReader {
    let bytes: [UInt8]
    private(set) var offset: Int
    let limit: Int

    init(_ bytes: [UInt8], offset: Int, limit: Int) {
        self.bytes = bytes
        self.offset = offset
        self.limit = limit
    }

    var remaining: Int { bytes.count - offset }

    /// Claims the next `n` bytes and returns where they start.
    private mutating func take(_ n: Int, _ field: StaticString) throws(ProtocolError) -> Int {
        guard n <= remaining else { throw .truncated(field: "\(field)", needed: n, available: remaining) }
        defer { offset += n }
        return offset
    }

    mutating func u8(_ field: StaticString) throws(ProtocolError) -> UInt8 {
        bytes[try take(1, field)]
    }
    mutating func u32(_ field: StaticString) throws(ProtocolError) -> UInt32 {
        let i = try take(4, field)
        return UInt32(bytes[i]) << 24 | UInt32(bytes[i + 1]) << 16 | UInt32(bytes[i + 2]) << 8 | UInt32(bytes[i + 3])
    }
    mutating func u64(_ field: StaticString) throws(ProtocolError) -> UInt64 {
        let i = try take(8, field)
        var v: UInt64 = 0
        for k in i..<(i + 8) { v = v << 8 | UInt64(bytes[k]) }
        return v
    }
    mutating func i64(_ field: StaticString) throws(ProtocolError) -> Int {
        // Int is 64 bits on every platform hypergrid builds for.
        Int(truncatingIfNeeded: Int64(bitPattern: try u64(field)))
    }
    mutating func f64(_ field: StaticString) throws(ProtocolError) -> Double {
        Double(bitPattern: try u64(field))
    }
    /// `n` big-endian words, bounds-checked once for the whole run.
    mutating func words<W: FixedWidthInteger>(_ n: Int, _ field: StaticString) throws(ProtocolError) -> [W] {
        let start = try take(n * MemoryLayout<W>.size, field)
        return bytes.withUnsafeBytes { raw in
            (0..<n).map { W(bigEndian: raw.loadUnaligned(fromByteOffset: start + $0 * MemoryLayout<W>.size, as: W.self)) }
        }
    }
    mutating func f32(_ field: StaticString) throws(ProtocolError) -> Float {
        Float(bitPattern: try u32(field))
    }
    mutating func bool(_ field: StaticString) throws(ProtocolError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue(field: "\(field)", reason: "a bool must be 0 or 1, not \(other)")
        }
    }
    mutating func presence(_ field: StaticString) throws(ProtocolError) -> Bool {
        switch try u8(field) {
        case 0: return false
        case 1: return true
        case let other: throw .invalidValue(field: "\(field)", reason: "an optional's presence byte must be 0 or 1, not \(other)")
        }
    }

    /// An element count whose elements take at least `minimumSize` bytes each; checked
    /// against the bytes left before anyone allocates for it.
    mutating func count(_ field: StaticString, minimumSize: Int) throws(ProtocolError) -> Int {
        let n = Int(try u32(field))
        if n > limit { throw .fieldTooLarge(field: "\(field)", length: n, limit: limit) }
        if n * minimumSize > remaining {
            throw .truncated(field: "\(field)", needed: n * minimumSize, available: remaining)
        }
        return n
    }
    mutating func byteArray(_ field: StaticString) throws(ProtocolError) -> ArraySlice<UInt8> {
        let n = try count(field, minimumSize: 1)
        let i = try take(n, field)
        return bytes[i..<(i + n)]
    }
    mutating func string(_ field: StaticString) throws(ProtocolError) -> String {
        let raw = try byteArray(field)
        let s = String(decoding: raw, as: UTF8.self)
        // ASCII is valid UTF-8 and is what almost every field holds (ids, names, versions).
        if raw.allSatisfy({ $0 < 0x80 }) { return s }
        // Decoding repairs invalid sequences with U+FFFD; comparing with the input detects
        // that without the stdlib's validating initialiser, which is newer than macOS 13.
        guard s.utf8.count == raw.count, s.utf8.elementsEqual(raw) else { throw .invalidUTF8(field: "\(field)") }
        return s
    }
    mutating func trialID(_ field: StaticString) throws(ProtocolError) -> TrialID {
        let text = try string(field)
        guard let id = TrialID(hex: text) else { throw .invalidTrialID(field: "\(field)") }
        return id
    }
    mutating func optionalF64(_ field: StaticString) throws(ProtocolError) -> Double? {
        try presence(field) ? try f64(field) : nil
    }
    mutating func optionalI64(_ field: StaticString) throws(ProtocolError) -> Int? {
        try presence(field) ? try i64(field) : nil
    }
    mutating func optionalString(_ field: StaticString) throws(ProtocolError) -> String? {
        try presence(field) ? try string(field) : nil
    }

    /// Fails if anything follows the last field: trailing bytes would otherwise make two
    /// different frames decode to one message.
    func finish(_ message: MessageType) throws(ProtocolError) {
        if remaining != 0 { throw .trailingBytes(message: message.name, count: remaining) }
    }
}
