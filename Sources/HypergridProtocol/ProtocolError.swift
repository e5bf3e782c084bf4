import HypergridPrimitives

/// Why a frame was rejected (or a message could not be encoded). Each `description` is one
/// sentence naming the field, so a coordinator can log it and drop or refuse the peer.
public enum ProtocolError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The whole frame is larger than the configured maximum.
    case frameTooLarge(size: Int, limit: Int)
    /// The frame ends inside `field`.
    case truncated(field: String, needed: Int, available: Int)
    /// A length prefix of `field` declares more bytes than any frame may hold.
    case fieldTooLarge(field: String, length: Int, limit: Int)
    /// The frame does not start with `HG`.
    case badMagic(found: [UInt8])
    /// The peer speaks another protocol version. `refusal` is the reason text when the frame
    /// is a `refuse`, whose layout is frozen across versions.
    case versionMismatch(peer: UInt16, local: UInt16, refusal: String?)
    /// The message type byte is not one this version defines.
    case unknownMessageType(UInt8)
    /// Bytes follow the last field of a message.
    case trailingBytes(message: String, count: Int)
    case invalidUTF8(field: String)
    /// A trial id field is not 64 lower-case hex digits.
    case invalidTrialID(field: String)
    /// A field holds a value its type does not allow (a bool byte of 2, an unknown enum tag,
    /// a chunk index past the total, …).
    case invalidValue(field: String, reason: String)
    /// A dataset chunk's bytes do not match its CRC-32.
    case checksumMismatch(field: String, expected: UInt32, actual: UInt32)

    public var description: String {
        switch self {
        case let .frameTooLarge(size, limit):
            return "The frame of \(size) bytes exceeds the \(limit)-byte limit."
        case let .truncated(field, needed, available):
            return "The frame ends inside field \(field): it needs \(needed) bytes but \(available) remain."
        case let .fieldTooLarge(field, length, limit):
            return "Field \(field) declares \(length) bytes, more than the \(limit)-byte frame limit."
        case let .badMagic(found):
            let shown = found.map { String($0, radix: 16) }.joined(separator: " ")
            return "The frame does not start with the hypergrid magic 48 47 ('HG'); it starts with \(shown)."
        case let .versionMismatch(peer, local, refusal):
            let reason = refusal.map { "; it refused: \($0)" } ?? ""
            return "The peer speaks hypergrid protocol \(peer), this side speaks \(local)\(reason)."
        case let .unknownMessageType(type):
            return "Message type 0x\(String(type, radix: 16)) is not defined by hypergrid protocol \(WireFormat.version)."
        case let .trailingBytes(message, count):
            return "Message \(message) has \(count) unexpected bytes after its last field."
        case let .invalidUTF8(field):
            return "Field \(field) is not valid UTF-8."
        case let .invalidTrialID(field):
            return "Field \(field) is not a trial id (64 lower-case hex digits)."
        case let .invalidValue(field, reason):
            return "Field \(field) is invalid: \(reason)."
        case let .checksumMismatch(field, expected, actual):
            return "Field \(field) fails its CRC-32 check (expected 0x\(Hex.string(expected)), computed 0x\(Hex.string(actual)))."
        }
    }
}

