/// Lower-case hexadecimal text, the one formatter behind trial ids, dataset fingerprints,
/// routing ids and magic numbers in messages.
///
/// Hand-written because Foundation's `String(format: "%02x")` per byte is slow and the
/// standard library formats only single integers without padding.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Two digits a byte, e.g. `[0x0a, 0xff]` → `0aff` (a SHA-256 digest gives 64 digits).
    public static func string<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// An unsigned integer zero-padded to its full width, e.g. `UInt32(0x803)` → `00000803`.
    public static func string<Value: FixedWidthInteger & UnsignedInteger>(_ value: Value) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, Value.bitWidth / 4 - digits.count)) + digits
    }
}
