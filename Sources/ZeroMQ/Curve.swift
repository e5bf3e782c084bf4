import CZeroMQ
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Z85, ZeroMQ's printable encoding of binary keys (RFC 32): 4 bytes ↔ 5 characters.
public enum Z85 {
    /// Encodes bytes whose count is a multiple of 4.
    public static func encode(_ bytes: [UInt8]) throws -> String {
        guard bytes.count % 4 == 0 else {
            throw ZMQError(errno: EINVAL, operation: "Z85-encode", target: "\(bytes.count) bytes (not a multiple of 4)")
        }
        var out = [CChar](repeating: 0, count: bytes.count / 4 * 5 + 1)  // + the NUL libzmq writes
        let ok = bytes.withUnsafeBufferPointer { zmq_z85_encode(&out, $0.baseAddress, $0.count) } != nil
        guard ok else { throw ZMQError.last("Z85-encode", "\(bytes.count) bytes") }
        return String(decoding: out.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Decodes text whose length is a multiple of 5; throws on any character outside Z85
    /// or a group that exceeds 32 bits.
    public static func decode(_ text: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        // Checked here because libzmq reads up to the first NUL: an embedded NUL would make it
        // decode a prefix and report success.
        guard utf8.count % 5 == 0, !utf8.contains(0) else {
            throw ZMQError(errno: EINVAL, operation: "Z85-decode", target: "\(utf8.count) characters")
        }
        // libzmq refuses an empty string, but it is the encoding of no bytes.
        if utf8.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: utf8.count / 5 * 4)
        let cString = utf8.map { CChar(bitPattern: $0) } + [0]
        guard zmq_z85_decode(&out, cString) != nil else {
            throw ZMQError(errno: EINVAL, operation: "Z85-decode", target: "text with a non-Z85 character or group")
        }
        return out
    }
}

/// A 32-byte CURVE25519 key (public or secret).
public struct CurveKey: Hashable, Sendable, CustomStringConvertible {
    /// The 32 raw bytes.
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else {
            throw ZMQError(errno: EINVAL, operation: "make a CURVE key from", target: "\(bytes.count) bytes (need 32)")
        }
        self.bytes = bytes
    }

    /// Parses the 40-character Z85 form.
    public init(z85: String) throws {
        guard z85.utf8.count == 40 else {
            throw ZMQError(errno: EINVAL, operation: "make a CURVE key from", target: "\(z85.utf8.count) Z85 characters (need 40)")
        }
        try self.init(bytes: try Z85.decode(z85))
    }

    /// The 40-character Z85 form, as used in key files and logs of public keys.
    public var z85: String {
        // 32 bytes is a multiple of 4, the only way encoding can fail.
        try! Z85.encode(bytes)
    }

    /// Only the first 8 Z85 characters, so that logging a secret key does not leak it.
    public var description: String { "CurveKey(\(z85.prefix(8))…)" }
}

/// Generates a new CURVE key pair (`zmq_curve_keypair`); throws if libzmq lacks CURVE.
public func curveKeyPair() throws -> (publicKey: CurveKey, secretKey: CurveKey) {
    var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
    guard zmq_curve_keypair(&pub, &sec) == 0 else { throw ZMQError.last("generate a CURVE key pair") }
    return (try CurveKey(z85: String(cString: pub)), try CurveKey(z85: String(cString: sec)))
}

/// Derives the public key of a secret key (`zmq_curve_public`).
public func curvePublic(fromSecret secret: CurveKey) throws -> CurveKey {
    var pub = [CChar](repeating: 0, count: 41)
    let secretZ85 = secret.z85
    guard zmq_curve_public(&pub, secretZ85) == 0 else { throw ZMQError.last("derive a CURVE public key") }
    return try CurveKey(z85: String(cString: pub))
}
